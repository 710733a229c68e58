/** Every way a static request can end, as plain data. replies.ts maps each to a Reply. */
import type { Failure } from './fs-failure.js';
import type { ByteRange } from './select-ranges.js';
import type { Validators } from './validators.js';

/** An open regular file whose descriptor the reply will carry. */
export interface ServedFile {
  readonly fd: number;
  readonly sizeBytes: number;
  readonly contentType: string;
  readonly validators: Validators;
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
