/** Every way a static request can end, as plain data. replies.ts maps each to a Reply. */
import type { HeaderList } from '../http/types.js';
import type { Failure } from './fs-failure.js';
import type { ByteRange } from './select-ranges.js';
import type { Validators } from './validators.js';

/**
 * Where a served file's bytes come from: the descriptor opened for this request (the reply
 * carries it), or the bytes of a small file read whole from one open (the file cache).
 */
export type FileSource =
  { readonly kind: 'fd'; readonly fd: number } | { readonly kind: 'memory'; readonly data: Buffer };

/** A regular file about to be served. */
export interface ServedFile {
  readonly source: FileSource;
  readonly sizeBytes: number;
  readonly contentType: string;
  readonly validators: Validators;
  /** Sent with its 200 and 206 responses (the mirror network's Link and digests). */
  readonly extraHeaders: HeaderList;
}

export type Outcome =
  | Failure
  | { readonly kind: 'method-not-allowed' }
  | { readonly kind: 'bad-request' }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'not-modified'; readonly validators: Validators | null }
  | { readonly kind: 'precondition-failed' }
  | { readonly kind: 'range-not-satisfiable'; readonly sizeBytes: number }
  | { readonly kind: 'file'; readonly file: ServedFile }
  | {
      readonly kind: 'partial';
      readonly file: ServedFile;
      readonly range: ByteRange;
      readonly rangeHeader: string;
    }
  | {
      readonly kind: 'multipart';
      readonly file: ServedFile;
      readonly ranges: readonly ByteRange[];
      readonly boundary: string;
      readonly rangeHeader: string;
    }
  | { readonly kind: 'listing'; readonly html: string };
