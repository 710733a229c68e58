/**
 * Turn a raw request path into safe path segments under the document root, without touching
 * the filesystem: percent-decode once into bytes, refuse NUL and backslash, remove dot
 * segments (refusing to climb above the root), enforce name-length limits and the dotfile
 * policy. Segments are bytes (see byte-path.ts): a name need not be valid UTF-8.
 *
 * Backslashes are refused (400) rather than guessed at: on POSIX they are ordinary name
 * characters, but a path that means `..\..` on another system has no business on a mirror.
 */
import { isDotName, percentDecodeBytes, splitBytes } from './byte-path.js';

export type Dotfiles = 'deny' | 'allow';

export type ResolvedPath =
  | { readonly kind: 'path'; readonly segments: readonly Buffer[]; readonly trailingSlash: boolean }
  | { readonly kind: 'bad-request' }
  | { readonly kind: 'not-found' };

/** NAME_MAX and PATH_MAX on Linux: longer names answer 404, as ENAMETOOLONG would. */
export const MAX_SEGMENT_BYTES = 255;
export const MAX_PATH_BYTES = 4096;

const BAD_REQUEST: ResolvedPath = { kind: 'bad-request' };
const NOT_FOUND: ResolvedPath = { kind: 'not-found' };
const NUL = 0x00;
const BACKSLASH = 0x5c;

export function resolvePath(rawPath: string, dotfiles: Dotfiles): ResolvedPath {
  const decoded = percentDecodeBytes(rawPath);
  if (decoded === null || decoded.includes(NUL) || decoded.includes(BACKSLASH)) return BAD_REQUEST;
  const normalized = removeDotSegments(decoded);
  if (normalized === null) return BAD_REQUEST;
  if (exceedsNameLimits(normalized.segments)) return NOT_FOUND;
  if (dotfiles === 'deny' && normalized.segments.some(isDotName)) return NOT_FOUND;
  return { kind: 'path', ...normalized };
}

const isDot = (part: Buffer): boolean => part.length === 1 && part[0] === 0x2e;
const isDotDot = (part: Buffer): boolean =>
  part.length === 2 && part[0] === 0x2e && part[1] === 0x2e;

/**
 * RFC 3986 §5.2.4 over a decoded absolute path, with empty segments collapsed. Returns null
 * when a `..` would climb above the root. A decoded `%2F` separates segments like `/` (as in
 * nginx), so `..%2F..` is two dot segments, never a name holding a slash.
 */
function removeDotSegments(
  decodedPath: Buffer,
): { segments: readonly Buffer[]; trailingSlash: boolean } | null {
  const segments: Buffer[] = [];
  let trailingSlash = false;
  for (const part of splitBytes(decodedPath).slice(1)) {
    if (isDotDot(part)) {
      if (segments.pop() === undefined) return null;
      trailingSlash = true;
    } else if (part.length === 0 || isDot(part)) {
      trailingSlash = true;
    } else {
      segments.push(part);
      trailingSlash = false;
    }
  }
  return { segments, trailingSlash };
}

function exceedsNameLimits(segments: readonly Buffer[]): boolean {
  if (segments.some((segment) => segment.length > MAX_SEGMENT_BYTES)) return true;
  return segments.reduce((total, segment) => total + 1 + segment.length, 0) > MAX_PATH_BYTES;
}
