/**
 * Turn a raw request path into safe path segments under the document root, without touching
 * the filesystem: decode once, refuse NUL and backslash, remove dot segments (refusing to
 * climb above the root), enforce name-length limits and the dotfile policy.
 *
 * Backslashes are refused (400) rather than guessed at: on POSIX they are ordinary name
 * characters, but a path that means `..\..` on another system has no business on a mirror.
 */

export type Dotfiles = 'deny' | 'allow';

export type ResolvedPath =
  | { readonly kind: 'path'; readonly segments: readonly string[]; readonly trailingSlash: boolean }
  | { readonly kind: 'bad-request' }
  | { readonly kind: 'not-found' };

/** NAME_MAX and PATH_MAX on Linux: longer names answer 404, as ENAMETOOLONG would. */
export const MAX_SEGMENT_BYTES = 255;
export const MAX_PATH_BYTES = 4096;

const BAD_REQUEST: ResolvedPath = { kind: 'bad-request' };
const NOT_FOUND: ResolvedPath = { kind: 'not-found' };

export function resolvePath(rawPath: string, dotfiles: Dotfiles): ResolvedPath {
  const decoded = decodeOnce(rawPath);
  if (decoded === null || decoded.includes('\0') || decoded.includes('\\')) return BAD_REQUEST;
  const normalized = removeDotSegments(decoded);
  if (normalized === null) return BAD_REQUEST;
  if (exceedsNameLimits(normalized.segments)) return NOT_FOUND;
  if (dotfiles === 'deny' && normalized.segments.some(isDotName)) return NOT_FOUND;
  return { kind: 'path', ...normalized };
}

export function isDotName(segment: string): boolean {
  return segment.startsWith('.');
}

/** Percent-decode exactly once; null for a malformed escape or invalid UTF-8. */
function decodeOnce(rawPath: string): string | null {
  try {
    return decodeURIComponent(rawPath);
  } catch (error) {
    if (error instanceof URIError) return null;
    throw error;
  }
}

/**
 * RFC 3986 §5.2.4 over a decoded absolute path, with empty segments collapsed. Returns null
 * when a `..` would climb above the root.
 */
function removeDotSegments(
  decodedPath: string,
): { segments: readonly string[]; trailingSlash: boolean } | null {
  const segments: string[] = [];
  let trailingSlash = false;
  for (const part of decodedPath.split('/').slice(1)) {
    if (part === '..') {
      if (segments.pop() === undefined) return null;
      trailingSlash = true;
    } else if (part === '' || part === '.') {
      trailingSlash = true;
    } else {
      segments.push(part);
      trailingSlash = false;
    }
  }
  return { segments, trailingSlash };
}

function exceedsNameLimits(segments: readonly string[]): boolean {
  if (segments.some((segment) => Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)) return true;
  return Buffer.byteLength(`/${segments.join('/')}`) > MAX_PATH_BYTES;
}
