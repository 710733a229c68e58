/**
 * A file's sha-256 as HTTP fields: `Repr-Digest` (RFC 9530, the standard) and `Digest`
 * (RFC 3230, obsoleted by it) — the one Metalink/HTTP clients read: aria2c verifies a download
 * against `Digest` and knows no `Repr-Digest`; wget's `--metalink-over-http` reads it too.
 * Both are of the whole representation, so a 206 carries them as well.
 */
export function digestHeaders(sha256: Buffer): Array<[string, string]> {
  const base64 = sha256.toString('base64');
  return [
    ['Repr-Digest', `sha-256=:${base64}:`],
    ['Digest', `SHA-256=${base64}`],
  ];
}
