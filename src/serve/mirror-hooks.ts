/**
 * What a mirror network adds to serving a file, handed in by the composition root so that
 * `serve` knows nothing of peers, digests or metalinks: extra headers for a file's responses,
 * and the document answering `PATH.meta4` when no such file exists. Both must answer at once
 * (no I/O): they run on the request path.
 */
import type { HeaderList, ParsedRequest } from '../http/types.js';
import type { FileIdentity } from './file-identity.js';

/** A regular file about to be served, as the mirror hooks see it. */
export interface FileRef {
  /** The decoded URL path's segments (the file's name is the last). */
  readonly segments: readonly (string | Uint8Array)[];
  /** Where it was opened (symlink policy applied). */
  readonly fsPath: string | Uint8Array;
  readonly identity: FileIdentity;
}

export interface MirrorHooks {
  /** Headers for the file's 200 and 206 responses (GET and HEAD alike). */
  fileHeaders(file: FileRef): HeaderList;
  /** The Metalink document for `file`, asked for as `request`; null: `.meta4` is not answered. */
  readonly metalink: ((file: FileRef, request: ParsedRequest) => string) | null;
}

export const METALINK_SUFFIX = '.meta4';
export const METALINK_TYPE = 'application/metalink4+xml';
