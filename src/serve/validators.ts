/**
 * A file's validators. The ETag is nginx's: `"<mtime in whole seconds, hex>-<size, hex>"`,
 * from size and mtime only — not the inode, nor the mtime's fraction of a second — so the same
 * file synced to two mirrors (or to an nginx) gets the same ETag and a download cut on one
 * resumes on another with `If-Range`, whichever sync tool copied it: `wget -N`, `curl -R` and
 * anything that learns the time from Last-Modified keep whole seconds only, and rsync compares
 * whole seconds unless told otherwise. A replaced file changes it, unless the copy has the same
 * size and the same second, which rsync's own quick check also takes for the same file.
 *
 * A file modified less than a second before the response could still be rewritten within that
 * same second with the same size; its tag is weak then (as Apache does), and a weak tag never
 * satisfies `If-Range`, so such a resume gets the whole file instead of a splice.
 */
import { formatHttpDate } from './http-date.js';

export interface Validators {
  /** The quoted entity-tag, e.g. `"66a1b2c3-100000"`, or `W/"…"` for a file still fresh. */
  readonly etag: string;
  /** Last-Modified in whole seconds: HTTP-dates have no finer resolution. */
  readonly lastModifiedSeconds: number;
  /** The same as an HTTP-date, formatted once per file version. */
  readonly lastModified: string;
}

/** How long after its mtime a file's ETag stays weak. */
export const FRESH_FILE_WEAK_MS = 1000;

export function validatorsFor(sizeBytes: number, mtimeMs: number, nowMs: number): Validators {
  const seconds = Math.floor(mtimeMs / 1000);
  const tag = `"${seconds.toString(16)}-${sizeBytes.toString(16)}"`;
  const isFresh = nowMs - mtimeMs < FRESH_FILE_WEAK_MS;
  return {
    etag: isFresh ? `W/${tag}` : tag,
    lastModifiedSeconds: seconds,
    lastModified: formatHttpDate(seconds),
  };
}

export function validatorHeaders(validators: Validators): Array<[string, string]> {
  return [
    ['Last-Modified', validators.lastModified],
    ['ETag', validators.etag],
  ];
}
