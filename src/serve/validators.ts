/**
 * A file's validators. The ETag is strong and derived from size and mtime only — not the
 * inode — so the same file synced to two mirrors gets the same ETag, and an rsync that
 * replaces a file changes it (an If-Range resume never splices two versions).
 */
import { formatHttpDate } from './http-date.js';

export interface Validators {
  /** The quoted strong entity-tag, e.g. `"18c1f3a2b40-100000"`. */
  readonly etag: string;
  /** Last-Modified in whole seconds: HTTP-dates have no finer resolution. */
  readonly lastModifiedSeconds: number;
  /** The same as an HTTP-date, formatted once per file version. */
  readonly lastModified: string;
}

export function validatorsFor(sizeBytes: number, mtimeMs: number): Validators {
  const wholeMs = Math.floor(mtimeMs);
  return {
    etag: `"${wholeMs.toString(16)}-${sizeBytes.toString(16)}"`,
    lastModifiedSeconds: Math.floor(wholeMs / 1000),
    lastModified: formatHttpDate(Math.floor(wholeMs / 1000)),
  };
}

export function validatorHeaders(validators: Validators): Array<[string, string]> {
  return [
    ['Last-Modified', validators.lastModified],
    ['ETag', validators.etag],
  ];
}
