/**
 * A served file's URL path as ebb itself links it: each decoded segment's bytes
 * percent-encoded outside encodeURIComponent's unreserved set (as the listing does), so a peer's
 * URL or a metalink URL is a valid URI whatever bytes the name holds.
 */
const UNRESERVED = /[A-Za-z0-9\-_.!~*'()]/;

export function encodeUrlPath(segments: readonly (string | Uint8Array)[]): string {
  return segments.map((segment) => `/${encodeSegment(Buffer.from(segment))}`).join('') || '/';
}

function encodeSegment(bytes: Buffer): string {
  let encoded = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    encoded +=
      byte < 0x80 && UNRESERVED.test(char)
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
