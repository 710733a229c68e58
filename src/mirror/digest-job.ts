/** The messages between the digest queue (main thread) and the digest worker thread. */
import type { FileIdentity } from '../serve/file-identity.js';

export interface DigestJob {
  readonly id: number;
  readonly fsPath: string | Uint8Array;
  /** The version to hash: anything else found there is not hashed. */
  readonly identity: FileIdentity;
  readonly readBytesPerSecond: number;
}

export type DigestResult =
  | { readonly id: number; readonly kind: 'digest'; readonly sha256: Uint8Array }
  /** The file is not (or no longer) the version asked for: nothing is remembered. */
  | { readonly id: number; readonly kind: 'changed' }
  | { readonly id: number; readonly kind: 'failed'; readonly message: string };
