/**
 * The pid file: written atomically (temp file + rename) once the listeners are bound, removed
 * on exit if it still names us. A pid file naming a live ebb refuses the start; a stale one
 * (dead pid, or a pid reused by another program) is replaced.
 */
import { access, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { readFileSync } from 'node:fs';
import { EbbError } from '../errors.js';

/** The pid a pid file names, or null if it is missing or does not hold a pid. */
export async function readPidFile(path: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new EbbError('PID_FILE_FAILED', `cannot read pid file ${path}`, { cause: error });
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** Whether `pid` is a running ebb server (not merely a live process that reused the pid). */
export function isEbbServer(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    return argv.some((a) => /(^|\/)ebb$|cli\/main\.js$/.test(a)) && argv.includes('serve');
  } catch {
    return false;
  }
}

/**
 * Checks, before anything is bound, that the pid file can be written: refuses (PID_FILE_LIVE)
 * when it names another running ebb, (PID_FILE_FAILED) when its folder is missing or read-only.
 */
export async function checkPidFile(path: string): Promise<void> {
  await refuseLiveServer(path);
  try {
    await access(dirname(path), constants.W_OK);
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : 'not writable';
    throw new EbbError(
      'PID_FILE_FAILED',
      `cannot write pid file ${path}: ${dirname(path)}: ${why}`,
      {
        cause: error,
      },
    );
  }
}

/** Refuses (PID_FILE_LIVE) when the pid file names another running ebb. */
export async function refuseLiveServer(path: string): Promise<void> {
  const existing = await readPidFile(path);
  if (existing !== null && existing !== process.pid && isEbbServer(existing)) {
    throw new EbbError(
      'PID_FILE_LIVE',
      `pid file ${path} names a running ebb (pid ${existing}); stop it first (ebb stop --pid-file ${path})`,
    );
  }
}

/** Writes our pid, atomically, unless another running ebb holds the file. */
export async function claimPidFile(path: string): Promise<void> {
  await refuseLiveServer(path);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, `${process.pid}\n`, { mode: 0o644 });
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new EbbError('PID_FILE_FAILED', `cannot write pid file ${path}`, { cause: error });
  }
}

/** Removes the pid file (and `PIDFILE.oldbin`, after an upgrade), each only if it names us. */
export async function releasePidFile(path: string): Promise<void> {
  for (const file of [path, oldbinPath(path)]) {
    if ((await readPidFile(file).catch(() => null)) === process.pid) {
      await unlink(file).catch(() => undefined);
    }
  }
}

/** nginx's convention: during an upgrade the old process's pid file is `PIDFILE.oldbin`. */
export function oldbinPath(path: string): string {
  return `${path}.oldbin`;
}

/** Before an upgrade starts the new process: our pid file becomes `PIDFILE.oldbin`. */
export async function moveToOldbin(path: string): Promise<void> {
  if ((await readPidFile(path)) !== process.pid) return;
  await rename(path, oldbinPath(path)).catch((error: unknown) => {
    throw new EbbError('PID_FILE_FAILED', `cannot move pid file ${path} to .oldbin`, {
      cause: error,
    });
  });
}

/** After a failed upgrade: `PIDFILE.oldbin` names us again as `PIDFILE`, unless taken. */
export async function restoreFromOldbin(path: string): Promise<void> {
  const oldbin = oldbinPath(path);
  if ((await readPidFile(oldbin).catch(() => null)) !== process.pid) return;
  const current = await readPidFile(path).catch(() => null);
  if (current !== null && current !== process.pid && isEbbServer(current)) return;
  await rename(oldbin, path).catch(() => undefined);
}
