/**
 * Paths as bytes. A URL path percent-decodes to bytes and a POSIX file name is bytes, so ebb
 * serves a name that is not valid UTF-8 (an old Latin-1 tree) as nginx and lighttpd do: the
 * file system is handed Buffers, and text is made of a name only to show it or to key a cache.
 */

const SLASH = 0x2f;
const DOT = 0x2e;
const SEPARATOR = Buffer.from('/');

/** `base/name/name…` as bytes; `base` is absolute (`/` alone is the file-system root). */
export function joinBytes(base: Buffer, names: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [base];
  let endsWithSlash = base.at(-1) === SLASH;
  for (const name of names) {
    if (!endsWithSlash) parts.push(SEPARATOR);
    parts.push(name);
    endsWithSlash = false;
  }
  return Buffer.concat(parts);
}

/** The pieces of `path` between slashes (empty pieces included, as String.split gives them). */
export function splitBytes(path: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  for (let slash = path.indexOf(SLASH); slash !== -1; slash = path.indexOf(SLASH, start)) {
    pieces.push(path.subarray(start, slash));
    start = slash + 1;
  }
  pieces.push(path.subarray(start));
  return pieces;
}

export function isDotName(name: Buffer | string): boolean {
  return typeof name === 'string' ? name.startsWith('.') : name[0] === DOT;
}

/** A path of names as one string, distinct for distinct bytes: a cache key, never shown. */
export function keyOf(names: readonly Buffer[]): string {
  return names.map((name) => name.toString('latin1')).join('/');
}

/** A name for people: UTF-8, with invalid sequences shown as U+FFFD. Never used to open. */
export function displayName(name: Buffer): string {
  return name.toString('utf8');
}

// encodeURIComponent's unreserved set, applied per byte: for valid UTF-8 the result is the same.
const UNRESERVED = /[A-Za-z0-9\-_.!~*'()]/;

/** Percent-encodes every byte of `name` outside the unreserved set (for an href). */
export function percentEncodeBytes(name: Buffer): string {
  let encoded = '';
  for (const byte of name) {
    const char = String.fromCharCode(byte);
    encoded +=
      byte < 0x80 && UNRESERVED.test(char)
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * Percent-decodes `text` (visible ASCII) into bytes, exactly once; null for a malformed escape
 * or a character that is not ASCII (the request parser lets none through).
 */
export function percentDecodeBytes(text: string): Buffer | null {
  const bytes = Buffer.allocUnsafe(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7e) return null;
    if (code !== 0x25) {
      bytes[length++] = code;
      continue;
    }
    const hex = text.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return null;
    bytes[length++] = parseInt(hex, 16);
    i += 2;
  }
  return bytes.subarray(0, length);
}
