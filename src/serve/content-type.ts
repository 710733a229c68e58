/** The Content-Type of a file, from its name's extension (mime-types' quirks stay here). */
import { extname } from 'node:path';
import { contentType } from 'mime-types';

export const FALLBACK_CONTENT_TYPE = 'application/octet-stream';

/**
 * mime-types treats a bare name as an extension (`lookup('html')` is text/html), so the
 * extension is taken here: a name without one is octet-stream. Text types get `charset=utf-8`.
 */
export function contentTypeFor(fileName: string): string {
  const extension = extname(fileName);
  if (extension === '') return FALLBACK_CONTENT_TYPE;
  const type = contentType(extension);
  return type === false ? FALLBACK_CONTENT_TYPE : type;
}
