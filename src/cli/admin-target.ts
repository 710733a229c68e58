/**
 * Which server a CLI command talks to: `--admin ADDR`, or the admin socket beside `--pid-file`
 * (where `ebb serve --pid-file` puts it by default). Shared by `ebb stop`, `status` and `top`.
 */
import { existsSync } from 'node:fs';
import { EbbError } from '../errors.js';
import { parseAdminAddress, type AdminAddress } from '../config/address.js';
import { adminBesidePidFile } from '../config/build-serve-config.js';

/** The `parseArgs` options every command that finds a server accepts. */
export const ADMIN_TARGET_OPTIONS = {
  'pid-file': { type: 'string' },
  admin: { type: 'string' },
} as const;

export interface AdminTarget {
  /** null when no admin address was given and no socket sits beside the pid file. */
  readonly admin: AdminAddress | null;
  readonly pidFile: string | null;
}

export function resolveAdminTarget(
  values: { readonly admin?: string | undefined; readonly 'pid-file'?: string | undefined },
  usage: string,
): AdminTarget {
  const pidFile = values['pid-file'] ?? null;
  if (values.admin !== undefined) {
    const parsed = parseAdminAddress(values.admin);
    if (parsed === undefined || parsed === 'off') {
      throw new EbbError('USAGE', `--admin "${values.admin}": expected unix:PATH or HOST:PORT`);
    }
    return { admin: parsed, pidFile };
  }
  if (pidFile === null) throw new EbbError('USAGE', `give --pid-file or --admin\n${usage}`);
  const beside = adminBesidePidFile(pidFile);
  const admin =
    beside !== null && beside.kind === 'unix' && existsSync(beside.path) ? beside : null;
  return { admin, pidFile };
}

/** For commands that need the admin listener (there is no signal for "show me"). */
export function requireAdmin(target: AdminTarget): AdminAddress {
  if (target.admin !== null) return target.admin;
  const beside = adminBesidePidFile(target.pidFile);
  throw new EbbError(
    'NOT_RUNNING',
    `no admin socket ${beside?.kind === 'unix' ? beside.path : ''} beside pid file ${target.pidFile ?? ''}: ` +
      'is ebb running, with its admin listener on? (give --admin ADDR)',
  );
}
