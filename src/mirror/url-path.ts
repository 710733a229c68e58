/**
 * A served file's URL path as ebb itself links it: each decoded segment's bytes
 * percent-encoded as the listing does (serve/byte-path.ts), so a peer's URL or a metalink URL
 * is a valid URI whatever bytes the name holds.
 */
import { percentEncodeBytes } from '../serve/byte-path.js';

export function encodeUrlPath(segments: readonly (string | Uint8Array)[]): string {
  return segments.map((segment) => `/${percentEncodeBytes(Buffer.from(segment))}`).join('') || '/';
}
