/**
 * `--user`/`--group`: ebb started as root binds its listeners and opens its log and pid file,
 * then switches to an unprivileged account for good (nginx's and lighttpd's `user`). Started
 * as root without `--user`, it refuses unless `--allow-root` says so.
 */
import { execFile } from 'node:child_process';
import { EbbError } from '../errors.js';

export interface Account {
  readonly user: string;
  readonly uid: number;
  readonly group: string;
  readonly gid: number;
}

/** What to do about privileges, decided before anything is bound. */
export type PrivilegePlan =
  | { readonly kind: 'keep' }
  | { readonly kind: 'drop'; readonly user: string; readonly group: string | null }
  | {
      readonly kind: 'refuse';
      readonly code: 'ROOT_REFUSED' | 'CONFIG_INVALID';
      readonly reason: string;
    }
  | { readonly kind: 'ignore'; readonly reason: string };

export function planPrivileges(
  uid: number,
  user: string | null,
  group: string | null,
  allowRoot: boolean,
): PrivilegePlan {
  if (user === null && group !== null) {
    return {
      kind: 'refuse',
      code: 'CONFIG_INVALID',
      reason: '--group needs --user (the account to switch to)',
    };
  }
  if (uid !== 0) {
    return user === null
      ? { kind: 'keep' }
      : {
          kind: 'ignore',
          reason: `--user ${user} ignored: ebb is not running as root (uid ${uid})`,
        };
  }
  if (user !== null) return { kind: 'drop', user, group };
  if (allowRoot) return { kind: 'keep' };
  return {
    kind: 'refuse',
    code: 'ROOT_REFUSED',
    reason:
      'ebb serve refuses to run as root: give --user NAME to switch to NAME once the listeners ' +
      'are bound, or --allow-root to serve as root anyway',
  };
}

export interface PrivilegeSettings {
  readonly user: string | null;
  readonly group: string | null;
  readonly allowRoot: boolean;
}

/** The account to switch to once bound, or null to stay; throws when ebb must not start. */
export async function accountToRunAs(
  settings: PrivilegeSettings,
  say: (line: string) => void,
): Promise<Account | null> {
  const uid = process.getuid?.() ?? -1;
  const plan = planPrivileges(uid, settings.user, settings.group, settings.allowRoot);
  switch (plan.kind) {
    case 'keep':
      return null;
    case 'ignore':
      say(plan.reason);
      return null;
    case 'refuse':
      throw new EbbError(plan.code, plan.reason);
    case 'drop':
      return resolveAccount(plan.user, plan.group);
  }
}

/** One entry of the passwd or group database (NSS included, through getent). */
function getent(database: 'passwd' | 'group', key: string): Promise<string[] | null> {
  return new Promise((resolve, reject) => {
    execFile('getent', [database, key], { timeout: 5_000 }, (error, stdout) => {
      if (error === null) resolve(stdout.split('\n')[0]?.split(':') ?? null);
      // getent exits 2 when the key is not in the database.
      else if (error.code === 2) resolve(null);
      else reject(new Error(`getent ${database} ${key}: ${error.message}`, { cause: error }));
    });
  });
}

async function lookup(database: 'passwd' | 'group', key: string): Promise<string[]> {
  const flag = database === 'passwd' ? '--user' : '--group';
  const entry = await getent(database, key).catch((error: unknown) => {
    throw new EbbError('ACCOUNT_UNKNOWN', `cannot look up ${flag} ${key}: ${String(error)}`, {
      cause: error,
    });
  });
  if (entry === null || entry.length < 3) {
    const noun = database === 'passwd' ? 'user' : 'group';
    throw new EbbError('ACCOUNT_UNKNOWN', `${flag} ${key}: no such ${noun} on this system`);
  }
  return entry;
}

/** The account `--user`/`--group` name, resolved before anything is bound. */
export async function resolveAccount(user: string, group: string | null): Promise<Account> {
  const [name = user, , uidText = '', gidText = ''] = await lookup('passwd', user);
  const primary = group === null ? await lookup('group', gidText) : await lookup('group', group);
  const [groupName = '', , groupGid = ''] = primary;
  return { user: name, uid: Number(uidText), group: groupName, gid: Number(groupGid) };
}

function isIoUringRefusal(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ERR_INVALID_STATE';
}

interface PosixCredentials {
  readonly setgroups: (groups: readonly number[]) => void;
  readonly setgid: (id: number) => void;
  readonly setuid: (id: number) => void;
  readonly getuid: () => number;
  readonly geteuid: () => number;
}

function posixCredentials(): PosixCredentials {
  const p = process;
  if (!p.setgroups || !p.setgid || !p.setuid || !p.getuid || !p.geteuid) {
    throw new EbbError('PRIVILEGE_DROP_FAILED', '--user needs a POSIX system');
  }
  return {
    setgroups: (groups) => p.setgroups?.(groups),
    setgid: (id) => p.setgid?.(id),
    setuid: (id) => p.setuid?.(id),
    getuid: () => p.getuid?.() ?? -1,
    geteuid: () => p.geteuid?.() ?? -1,
  };
}

/**
 * Switches to `account` for good: the one group (supplementary groups of root are dropped, and
 * none are added: least privilege), then the user (after setuid the rest is no longer allowed),
 * and checks that root cannot be regained.
 */
export function dropPrivileges(account: Account): void {
  const who = `${account.user}:${account.group} (uid ${account.uid}, gid ${account.gid})`;
  const credentials = posixCredentials();
  try {
    credentials.setgroups([account.gid]);
    credentials.setgid(account.gid);
    credentials.setuid(account.uid);
  } catch (error) {
    const hint = isIoUringRefusal(error)
      ? ': this Node has io_uring enabled, which would keep root for file operations ' +
        '(CVE-2024-22017); start ebb with UV_USE_IO_URING=0'
      : `: ${error instanceof Error ? error.message : String(error)}`;
    throw new EbbError('PRIVILEGE_DROP_FAILED', `cannot switch to ${who}${hint}`, {
      cause: error,
    });
  }
  if (credentials.getuid() !== account.uid || credentials.geteuid() !== account.uid) {
    throw new EbbError('PRIVILEGE_DROP_FAILED', `switched to ${who} but still runs as another uid`);
  }
  if (canRegainRoot(credentials)) {
    throw new EbbError('PRIVILEGE_DROP_FAILED', `switched to ${who} but could become root again`);
  }
}

function canRegainRoot(credentials: PosixCredentials): boolean {
  try {
    credentials.setuid(0);
    return true;
  } catch {
    return false;
  }
}
