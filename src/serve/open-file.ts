/**
 * The one stat/open step: open a path once, fstat the descriptor, and say what it is. This
 * is the seam where a small-file cache can be slotted in later (another OpenFile).
 * O_NONBLOCK makes opening a FIFO return at once instead of hanging; anything that is not a
 * regular file or a directory is closed and answered 404.
 */
import { close, constants, fstat, open } from 'node:fs';
import { promisify } from 'node:util';
import { failureFromError, NOT_FOUND, type Failure } from './fs-failure.js';
import { identityOf, type FileIdentity } from './file-identity.js';

export type Opened =
  | {
      readonly kind: 'file';
      /** Owned by the caller from here on: hand it to a Reply or close it. */
      readonly fd: number;
      readonly sizeBytes: number;
      readonly mtimeMs: number;
      /** Which file this is, for caches of derived facts (its digest). */
      readonly identity: FileIdentity;
    }
  | { readonly kind: 'directory' }
  | Failure;

export type OpenedFile = Extract<Opened, { readonly kind: 'file' }>;

export type OpenFile = (
  fsPath: string | Buffer,
  options: { readonly noFollow: boolean },
) => Promise<Opened>;

const openFd = promisify(open);
const fstatFd = promisify(fstat);
const closeFdOrThrow = promisify(close);

export const openFile: OpenFile = async (fsPath, { noFollow }) => {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0);
  let fd: number;
  try {
    fd = await openFd(fsPath, flags);
  } catch (error) {
    return failureFromError(error);
  }
  try {
    const stats = await fstatFd(fd);
    if (stats.isFile()) {
      const { size: sizeBytes, mtimeMs } = stats;
      return { kind: 'file', fd, sizeBytes, mtimeMs, identity: identityOf(stats) };
    }
    await closeFd(fd);
    return stats.isDirectory() ? { kind: 'directory' } : NOT_FOUND;
  } catch (error) {
    await closeFd(fd);
    return failureFromError(error);
  }
};

/** Close a descriptor we will not hand on. A failing close is logged, never thrown. */
export async function closeFd(fd: number): Promise<void> {
  try {
    await closeFdOrThrow(fd);
  } catch (error) {
    console.error(`ebb serve: closing fd ${fd} failed:`, error);
  }
}
