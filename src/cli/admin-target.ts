/**
 * Which server a CLI command talks to: `--admin ADDR` (with `--admin-token-file` for a TCP
 * listener's token), or what the instance file beside `--pid-file` records (address and token
 * file, whatever the listener's kind). Shared by `ebb stop`, `status` and `top`.
 */
import { readFile } from 'node:fs/promises';
import { EbbError } from '../errors.js';
import { parseAdminAddress, type AdminAddress } from '../config/address.js';
import { lookUpServer, type ServerLookup } from '../lifecycle/pid-file.js';
import { checkOwner, untrustedError } from '../lifecycle/trusted-files.js';
import type { AdminEndpoint } from './admin-client.js';

/** The flags every command that finds a server accepts. */
export const ADMIN_TARGET_OPTIONS = {
  'pid-file': { type: 'string' },
  admin: { type: 'string' },
  'admin-token-file': { type: 'string' },
} as const;

export const ADMIN_TARGET_USAGE = `  --pid-file FILE          the server's pid file: its admin address and token are found beside it
  --admin ADDR             unix:PATH or HOST:PORT of the admin listener, instead
  --admin-token-file FILE  the token of a TCP admin listener (ebb serve prints where it is)`;

/** A pid file's lookup once an untrusted one has been refused. */
export type TrustedLookup = Exclude<ServerLookup, { readonly kind: 'untrusted' }>;

export interface AdminTarget {
  /** null when no admin address was given and the pid file records none. */
  readonly endpoint: AdminEndpoint | null;
  readonly pidFile: string | null;
  /** What the pid file says, when one was given. */
  readonly lookup: TrustedLookup | null;
}

interface TargetFlags {
  readonly admin?: string | undefined;
  readonly 'pid-file'?: string | undefined;
  readonly 'admin-token-file'?: string | undefined;
}

/** The token in `path`, trusted only if the file is ours (or root's). */
export async function readToken(path: string): Promise<string> {
  const trust = await checkOwner(path);
  if (trust.kind === 'untrusted') throw untrustedError('token file', path, trust.ownerUid);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? String(error);
    const code = why === 'EACCES' ? 'PERMISSION_DENIED' : 'ADMIN_FAILED';
    throw new EbbError(code, `cannot read the admin token file ${path} (${why})`, { cause: error });
  }
  return text.trim();
}

function parseAdminFlag(text: string): AdminAddress {
  const parsed = parseAdminAddress(text);
  if (parsed === undefined || parsed === 'off') {
    throw new EbbError('USAGE', `--admin "${text}": expected unix:PATH or HOST:PORT`);
  }
  return parsed;
}

/** What the pid file says; throws FILE_UNTRUSTED if it (or its instance file) is not ours. */
export async function lookUpTrusted(pidFile: string): Promise<TrustedLookup> {
  const lookup = await lookUpServer(pidFile);
  if (lookup.kind === 'untrusted') throw untrustedError(lookup.what, lookup.path, lookup.ownerUid);
  return lookup;
}

export async function resolveAdminTarget(
  values: TargetFlags,
  command: string,
): Promise<AdminTarget> {
  const pidFile = values['pid-file'] ?? null;
  if (values.admin === undefined && pidFile === null) {
    throw new EbbError(
      'USAGE',
      `${command}: give --pid-file FILE or --admin ADDR (ebb ${command} --help)`,
    );
  }
  const lookup = pidFile === null ? null : await lookUpTrusted(pidFile);
  const recorded = lookup?.kind === 'running' ? lookup.instance : null;
  const admin =
    values.admin !== undefined
      ? parseAdminFlag(values.admin)
      : recorded?.admin === null || recorded === null
        ? null
        : (parseAdminAddress(recorded.admin) ?? null);
  if (admin === null || admin === 'off') return { endpoint: null, pidFile, lookup };
  const tokenFile = values['admin-token-file'] ?? recorded?.tokenFile ?? null;
  const token = admin.kind === 'tcp' && tokenFile !== null ? await readToken(tokenFile) : null;
  return { endpoint: { address: admin, token }, pidFile, lookup };
}

/** For commands that need the admin listener (there is no signal for "show me"). */
export function requireAdmin(target: AdminTarget): AdminEndpoint {
  if (target.endpoint !== null) return target.endpoint;
  const why =
    target.lookup === null || target.lookup.kind === 'running'
      ? 'it runs without an admin listener'
      : target.lookup.why;
  throw new EbbError(
    'NOT_RUNNING',
    `no admin listener found through pid file ${target.pidFile ?? ''}: ${why} (is ebb running, with its admin listener on? or give --admin ADDR)`,
  );
}
