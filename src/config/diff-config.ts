/**
 * What a reload changes: the fields of two ServeConfigs that differ, as lines for the operator
 * (`root: "/srv/a" → "/srv/b"`, `listen: + 127.0.0.1:9000, - 127.0.0.1:8080`, the same for
 * `listenTls`), and the changes a reload cannot apply (the pid file, the admin listener, the
 * account and the digest store belong to the running process).
 * Pure: no files, no sockets.
 */
import type { ListenAddress, ServeConfig } from './schema.js';

export interface ConfigDiff {
  /** One line per changed field, in ServeConfig's field order. */
  readonly changes: readonly string[];
  /** Changes a reload refuses, one line each (empty: the reload may go ahead). */
  readonly refused: readonly string[];
}

/** Fields a running process cannot take over: they name the process itself. */
const FIXED_FIELDS: ReadonlySet<keyof ServeConfig> = new Set<keyof ServeConfig>([
  'pidFile',
  'admin',
  'adminTokenFile',
  'user',
  'group',
  'allowRoot',
  'digests',
  'stateDir',
]);

/** `127.0.0.1:8080`, `[::1]:8080`: the key a listen address is matched by across a reload. */
export function listenKey(address: ListenAddress): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

/** The listen addresses of `next` not in `previous` (added) and the other way (removed). */
export function diffListen(
  previous: readonly ListenAddress[],
  next: readonly ListenAddress[],
): { readonly added: readonly ListenAddress[]; readonly removed: readonly ListenAddress[] } {
  const keys = (list: readonly ListenAddress[]): Set<string> => new Set(list.map(listenKey));
  const before = keys(previous);
  const after = keys(next);
  return {
    added: next.filter((a) => !before.has(listenKey(a))),
    removed: previous.filter((a) => !after.has(listenKey(a))),
  };
}

function describeListenChange(
  field: 'listen' | 'listenTls',
  previous: ServeConfig,
  next: ServeConfig,
): string | null {
  const { added, removed } = diffListen(previous[field], next[field]);
  const parts = [
    ...added.map((a) => `+ ${listenKey(a)}`),
    ...removed.map((a) => `- ${listenKey(a)}`),
  ];
  return parts.length === 0 ? null : `${field}: ${parts.join(', ')}`;
}

function describeValue(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}

export function diffConfigs(previous: ServeConfig, next: ServeConfig): ConfigDiff {
  const changes: string[] = [];
  const refused: string[] = [];
  for (const field of Object.keys(next) as (keyof ServeConfig)[]) {
    if (field === 'listen' || field === 'listenTls') {
      const line = describeListenChange(field, previous, next);
      if (line !== null) changes.push(line);
      continue;
    }
    const before = describeValue(previous[field]);
    const after = describeValue(next[field]);
    if (before === after) continue;
    const line = `${field}: ${before} → ${after}`;
    if (FIXED_FIELDS.has(field)) refused.push(`${line}: needs a restart or \`ebb upgrade\``);
    else changes.push(line);
  }
  return { changes, refused };
}
