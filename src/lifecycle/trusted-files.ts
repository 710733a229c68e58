/**
 * The files ebb leaves for other processes to trust (pid file, instance file, admin token) and
 * the rules for both sides. Writing: a temp file of unguessable name opened O_EXCL|O_NOFOLLOW in
 * the target's own folder (a name planted there, or a symlink, makes the open fail rather than
 * write through it), then renamed over the target; the folder must not be writable by others
 * unless sticky. Reading: a file, socket or process is trusted only when owned by the reader or
 * by root; root trusts only its own (another user can plant anything in /tmp).
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { EbbError } from '../errors.js';

const STICKY = 0o1000;
const GROUP_OR_OTHER_WRITE = 0o022;

/** The uid this process acts as, or null where there are no uids (Windows). */
export function currentUid(): number | null {
  return typeof process.geteuid === 'function' ? process.geteuid() : null;
}

/** Whether a file owned by `ownerUid` may be trusted by `readerUid`. */
export function isTrustedOwner(ownerUid: number, readerUid: number | null): boolean {
  if (readerUid === null) return true;
  return ownerUid === readerUid || (readerUid !== 0 && ownerUid === 0);
}

/** Why a folder is unfit for files others will trust, or null if it is fit. */
export function unsafeFolderReason(
  folder: Pick<Stats, 'mode' | 'uid'>,
  uid: number | null,
): string | null {
  if ((folder.mode & GROUP_OR_OTHER_WRITE) === 0) return null;
  if ((folder.mode & STICKY) !== 0 && isTrustedOwner(folder.uid, uid)) return null;
  const mode = (folder.mode & 0o7777).toString(8).padStart(4, '0');
  return `it is writable by other users (mode ${mode}, owner uid ${folder.uid}) and not a sticky folder owned by you or root`;
}

/** Refuses (`code`) a folder others may write into, unless it is sticky and owned by us or root. */
export async function checkFolderIsSafe(
  path: string,
  code: 'PID_FILE_FAILED' | 'ADMIN_FAILED',
): Promise<void> {
  const folder = dirname(path);
  let stats: Stats;
  try {
    stats = await stat(folder);
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : String(error);
    throw new EbbError(code, `cannot write ${path}: ${folder}: ${why}`, { cause: error });
  }
  const reason = unsafeFolderReason(stats, currentUid());
  if (reason !== null) throw new EbbError(code, `refusing to write ${path}: ${folder}: ${reason}`);
}

/**
 * Writes `text` to `path` atomically with `mode`: never through a symlink, never into a file
 * someone else created. Throws the fs error; the caller names what the file was for.
 */
export async function writeFileAtomically(path: string, text: string, mode: number): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    // The umask may have taken bits off `mode`; a token file must be exactly 0600.
    await handle.chmod(mode);
    await handle.writeFile(text);
    await handle.close();
    await rename(temp, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

export type Trust =
  | { readonly kind: 'missing' }
  | { readonly kind: 'trusted'; readonly stats: Stats }
  | { readonly kind: 'untrusted'; readonly ownerUid: number };

/** The owner check of a path (not following a final symlink: a planted link is not ours). */
export async function checkOwner(path: string): Promise<Trust> {
  let stats: Stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  return isTrustedOwner(stats.uid, currentUid())
    ? { kind: 'trusted', stats }
    : { kind: 'untrusted', ownerUid: stats.uid };
}

/** The refusal the CLI gives for a path owned by someone it must not trust. */
export function untrustedError(what: string, path: string, ownerUid: number): EbbError {
  return new EbbError(
    'FILE_UNTRUSTED',
    `refusing to trust ${what} ${path}: it is owned by uid ${ownerUid}, not by you (uid ${currentUid() ?? '?'})` +
      `${currentUid() === 0 ? '' : ' or root'}; another user may have planted it`,
  );
}
