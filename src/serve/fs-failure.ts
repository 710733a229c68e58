/**
 * How a filesystem error becomes a response, in one table. An error we did not expect is a
 * 500: the client sees a short random id, and the same id is logged with the error.
 */
import { randomBytes } from 'node:crypto';

export type Failure =
  | { readonly kind: 'not-found' }
  | { readonly kind: 'forbidden' }
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'internal-error'; readonly id: string };

export const NOT_FOUND: Failure = { kind: 'not-found' };
export const FORBIDDEN: Failure = { kind: 'forbidden' };

const FAILURE_BY_CODE: Readonly<Record<string, Failure>> = {
  ENOENT: NOT_FOUND,
  ENOTDIR: NOT_FOUND,
  ELOOP: NOT_FOUND, // also O_NOFOLLOW meeting a symlink
  ENAMETOOLONG: NOT_FOUND,
  ENXIO: NOT_FOUND, // opening a socket file
  ENODEV: NOT_FOUND,
  EACCES: FORBIDDEN,
  EPERM: FORBIDDEN,
  EMFILE: { kind: 'unavailable' },
  ENFILE: { kind: 'unavailable' },
};

export function failureFromError(error: unknown): Failure {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (code !== undefined ? FAILURE_BY_CODE[code] : undefined) ?? internalError(error);
}

export function internalError(error: unknown): Failure {
  const id = randomBytes(4).toString('hex');
  console.error(`ebb serve: internal error ${id}:`, error);
  return { kind: 'internal-error', id };
}
