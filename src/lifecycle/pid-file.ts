/**
 * The pid file and its instance file. `ebb.pid` holds the pid alone (so `kill -INT $(cat
 * ebb.pid)` works); `ebb.instance` beside it records which process that pid meant (its start
 * time) and where its admin listener is, so `ebb stop/status/top --pid-file` find a TCP admin
 * listener too and never signal a process that merely reused the pid. Both are written
 * atomically (see trusted-files.ts) once the listeners are bound and removed on exit if they
 * still name us. A pid file naming a live ebb refuses the start; a stale one is replaced.
 */
import { access, readFile, rename, unlink } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { EbbError } from '../errors.js';
import { readProcessIdentity } from './process-identity.js';
import { checkFolderIsSafe, checkOwner, writeFileAtomically } from './trusted-files.js';

/** What the instance file says. */
export interface InstanceRecord {
  readonly pid: number;
  readonly startTicks: string;
  /** `unix:PATH` or `HOST:PORT` as `parseAdminAddress` reads it; null when off. */
  readonly admin: string | null;
  /** The admin token's file (TCP admin listener only). */
  readonly tokenFile: string | null;
}

export type ServerLookup =
  | { readonly kind: 'absent'; readonly why: string }
  | {
      readonly kind: 'untrusted';
      readonly what: string;
      readonly path: string;
      readonly ownerUid: number;
    }
  | { readonly kind: 'stale'; readonly pid: number; readonly why: string }
  | { readonly kind: 'running'; readonly pid: number; readonly instance: InstanceRecord };

/** `/run/ebb.pid` → `/run/ebb.instance`; any other name gets `.instance` appended. */
export function instanceFileFor(pidFile: string): string {
  return `${pidFile.replace(/\.pid$/, '')}.instance`;
}

function parsePid(text: string): number | null {
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function parseInstance(text: string): InstanceRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { pid, startTicks, admin, tokenFile } = value as Record<string, unknown>;
  const isNullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';
  if (typeof pid !== 'number' || typeof startTicks !== 'string') return null;
  if (!isNullableString(admin) || !isNullableString(tokenFile)) return null;
  return { pid, startTicks, admin, tokenFile };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new EbbError('PID_FILE_FAILED', `cannot read ${path}`, { cause: error });
  }
}

/**
 * Which server a pid file names, checked as `ebb stop` must before it signals: the pid file and
 * the instance file owned by us or root, the process alive, started when the instance file says,
 * and running as the pid file's owner (as any user, if root wrote it: ebb --user).
 */
export async function lookUpServer(pidFile: string): Promise<ServerLookup> {
  const pidTrust = await checkOwner(pidFile);
  if (pidTrust.kind === 'missing') return { kind: 'absent', why: `pid file ${pidFile} is missing` };
  if (pidTrust.kind === 'untrusted') {
    return { kind: 'untrusted', what: 'pid file', path: pidFile, ownerUid: pidTrust.ownerUid };
  }
  const pid = parsePid(await readText(pidFile));
  if (pid === null) return { kind: 'absent', why: `pid file ${pidFile} holds no pid` };
  const instanceFile = instanceFileFor(pidFile);
  const trust = await checkOwner(instanceFile);
  if (trust.kind === 'untrusted') {
    return {
      kind: 'untrusted',
      what: 'instance file',
      path: instanceFile,
      ownerUid: trust.ownerUid,
    };
  }
  const instance = trust.kind === 'missing' ? null : parseInstance(await readText(instanceFile));
  if (instance === null || instance.pid !== pid) {
    return { kind: 'stale', pid, why: `${instanceFile} does not record the start of pid ${pid}` };
  }
  const running = await readProcessIdentity(pid);
  if (running === null) return { kind: 'stale', pid, why: `pid ${pid} is not running` };
  if (running.startTicks !== instance.startTicks) {
    return { kind: 'stale', pid, why: `pid ${pid} is another process than the ebb that wrote it` };
  }
  // A root-owned pid file vouches for any uid: ebb --user writes it as root, then drops to the user.
  if (running.uid !== pidTrust.stats.uid && pidTrust.stats.uid !== 0) {
    return {
      kind: 'stale',
      pid,
      why: `pid ${pid} runs as uid ${running.uid}, not the pid file's owner`,
    };
  }
  return { kind: 'running', pid, instance };
}

/**
 * Checks, before anything is bound, that the pid file can be written: refuses (PID_FILE_LIVE)
 * when it names another running ebb, (PID_FILE_FAILED) when its folder is missing, read-only, or
 * writable by other users (unless sticky and ours or root's: /tmp is fine).
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
  await checkFolderIsSafe(path, 'PID_FILE_FAILED');
}

/** Refuses (PID_FILE_LIVE) when the pid file names another running ebb. */
export async function refuseLiveServer(path: string): Promise<void> {
  const found = await lookUpServer(path).catch(() => null);
  if (found?.kind === 'running' && found.pid !== process.pid) {
    throw new EbbError(
      'PID_FILE_LIVE',
      `pid file ${path} names a running ebb (pid ${found.pid}); stop it first (ebb stop --pid-file ${path})`,
    );
  }
}

/** Writes the instance file, then our pid, unless another running ebb holds the pid file. */
export async function claimPidFile(
  path: string,
  admin: Pick<InstanceRecord, 'admin' | 'tokenFile'>,
): Promise<void> {
  await refuseLiveServer(path);
  await checkFolderIsSafe(path, 'PID_FILE_FAILED');
  const self = await readProcessIdentity(process.pid);
  const instance: InstanceRecord = {
    pid: process.pid,
    startTicks: self?.startTicks ?? '',
    admin: admin.admin,
    tokenFile: admin.tokenFile,
  };
  try {
    await writeFileAtomically(instanceFileFor(path), `${JSON.stringify(instance)}\n`, 0o644);
    await writeFileAtomically(path, `${process.pid}\n`, 0o644);
  } catch (error) {
    throw new EbbError('PID_FILE_FAILED', `cannot write pid file ${path}: ${String(error)}`, {
      cause: error,
    });
  }
}

async function pidIn(path: string): Promise<number | null> {
  return parsePid(await readFile(path, 'utf8').catch(() => ''));
}

/** Removes the pid file and the instance file, each only if it still names us. */
export async function releasePidFile(path: string): Promise<void> {
  // After an upgrade, `PIDFILE.oldbin` names us (the new ebb has the pid file).
  for (const file of [path, oldbinPath(path)]) {
    if ((await pidIn(file)) === process.pid) await unlink(file).catch(() => undefined);
  }
  const instanceFile = instanceFileFor(path);
  const instance = parseInstance(await readFile(instanceFile, 'utf8').catch(() => ''));
  if (instance?.pid === process.pid) await unlink(instanceFile).catch(() => undefined);
}

/** nginx's convention: during an upgrade the old process's pid file is `PIDFILE.oldbin`. */
export function oldbinPath(path: string): string {
  return `${path}.oldbin`;
}

/** Before an upgrade starts the new process: our pid file becomes `PIDFILE.oldbin`. */
export async function moveToOldbin(path: string): Promise<void> {
  if ((await pidIn(path)) !== process.pid) return;
  await rename(path, oldbinPath(path)).catch((error: unknown) => {
    throw new EbbError('PID_FILE_FAILED', `cannot move pid file ${path} to .oldbin`, {
      cause: error,
    });
  });
}

/** After a failed upgrade: `PIDFILE.oldbin` names us again as `PIDFILE`, unless taken. */
export async function restoreFromOldbin(path: string): Promise<void> {
  const oldbin = oldbinPath(path);
  if ((await pidIn(oldbin)) !== process.pid) return;
  const found = await lookUpServer(path).catch(() => null);
  if (found?.kind === 'running' && found.pid !== process.pid) return;
  await rename(oldbin, path).catch(() => undefined);
}
