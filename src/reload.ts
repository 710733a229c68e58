/**
 * A reload (SIGHUP, `POST /reload`, `ebb reload`): the whole new configuration is built first —
 * read and checked, its root resolved, its access log opened, its TLS certificate and key read
 * again, its added listeners (plain and TLS) bound — and
 * only when every step succeeded is it swapped in. Any failure closes what was opened for it
 * and leaves the running configuration untouched, reporting every problem.
 */
import { isDeepStrictEqual } from 'node:util';
import { isEbbError } from './errors.js';
import type { ServeConfig } from './config/schema.js';
import { diffConfigs, diffListen } from './config/diff-config.js';
import type { Socket } from 'node:net';
import type { AccessLog } from './log/access-log.js';
import type { SwitchableLog } from './log/switchable-log.js';
import type { Acceptor, ConnectionParts } from './lifecycle/acceptor.js';
import type { ListenerErrorSink } from './lifecycle/listeners.js';
import type { ReloadOutcome } from './lifecycle/change-outcome.js';
import type { Drain } from './lifecycle/drain.js';
import { bindEach, type KeyedListener, type ListenerSet } from './lifecycle/listener-set.js';
import { resolveRoot } from './connection-parts.js';
import type { RateLimits } from './limits/rate-limits.js';
import type { TlsCredentials } from './tls/secure-context.js';
import { allAddresses, describeCertificateChange, type TlsListeners } from './tls/tls-listeners.js';

export interface Reloadable {
  /** Reads the config again from the same command line and file. */
  readonly loadConfig: () => Promise<ServeConfig>;
  /** The connection parts for a config and its resolved root, as at start-up. */
  readonly buildParts: (config: ServeConfig, root: string) => ConnectionParts;
  /** Opens an access log as at start-up (its faults told the same way). */
  readonly openLog: (target: ServeConfig['accessLog']) => Promise<AccessLog>;
  readonly acceptor: Acceptor;
  /** What the listeners call with each accepted socket (the acceptor, behind the fd gate). */
  readonly accept: (socket: Socket) => void;
  readonly onListenerError: ListenerErrorSink;
  /** null when systemd handed the listeners over: `listen` is then the socket unit's. */
  readonly listeners: ListenerSet | null;
  readonly log: SwitchableLog;
  readonly drain: Drain;
  /** The `--listen-tls` listeners and their certificate (bound by ebb even under systemd). */
  readonly tls: TlsListeners;
  readonly rates: RateLimits;
  config: ServeConfig;
}

function problemOf(error: unknown): string {
  return isEbbError(error) || error instanceof Error ? error.message : String(error);
}

/** Settles every step; returns the values, or every failure's message. */
async function allOrProblems<T extends readonly unknown[]>(steps: {
  readonly [K in keyof T]: Promise<T[K]>;
}): Promise<{ ok: true; values: T } | { ok: false; problems: string[]; done: unknown[] }> {
  const results = await Promise.allSettled(steps);
  const problems = results.flatMap((r) => (r.status === 'rejected' ? [problemOf(r.reason)] : []));
  const values = results.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  if (problems.length > 0) return { ok: false, problems, done: values };
  return { ok: true, values: values as unknown as T };
}

export async function reload(target: Reloadable): Promise<ReloadOutcome> {
  if (target.drain.state.kind !== 'serving') {
    return { kind: 'rejected', problems: ['the server is draining: nothing to reload'] };
  }
  let next: ServeConfig;
  try {
    next = await target.loadConfig();
  } catch (error) {
    return { kind: 'rejected', problems: [problemOf(error)] };
  }
  const previous = target.config;
  if (target.listeners === null) next = { ...next, listen: previous.listen };
  const diff = diffConfigs(previous, next);
  if (diff.refused.length > 0) return { kind: 'rejected', problems: [...diff.refused] };

  // A log file is always opened afresh (at a new path, or again at the same one, as nginx's
  // reload does: SIGHUP after logrotate moved the file starts a new one); stdout or off stay.
  const keepLog =
    isDeepStrictEqual(previous.accessLog, next.accessLog) && next.accessLog.kind !== 'file';
  const { added } = diffListen(previous.listen, next.listen);
  const tls = target.tls.prepare(previous, next);
  const built = await allOrProblems<
    [string, AccessLog | null, KeyedListener[], TlsCredentials | null, KeyedListener[]]
  >([
    resolveRoot(next.root),
    keepLog ? Promise.resolve(null) : target.openLog(next.accessLog),
    bindEach(added, target.accept, target.onListenerError, allAddresses(next)),
    tls.credentials,
    tls.added,
  ]);
  if (!built.ok) {
    const [, log, listeners, , tlsListeners] = built.done as [
      unknown,
      AccessLog | undefined,
      KeyedListener[] | undefined,
      unknown,
      KeyedListener[] | undefined,
    ];
    await log?.close();
    for (const entry of listeners ?? []) entry.listeners.close();
    target.tls.discard(tlsListeners ?? []);
    return { kind: 'rejected', problems: built.problems };
  }
  const [root, log, addedListeners, credentials, addedTls] = built.values;
  const certificate = describeCertificateChange(target.tls.credentials, credentials);

  // Everything is built: swap it in, in one turn of the event loop.
  target.acceptor.use(target.buildParts(next, root));
  target.drain.useSettings(next);
  target.rates.configure(next);
  target.listeners?.replace(next.listen, addedListeners);
  target.tls.apply(next, credentials, addedTls);
  target.config = next;
  if (log !== null) await target.log.replace(log);
  // An expired certificate is served (as at start), but the operator who reloaded hears of it.
  const warnings = (credentials?.warnings ?? []).map((warning) => `warning: ${warning}`);
  const changes = [...diff.changes, ...(certificate === null ? [] : [certificate]), ...warnings];
  return { kind: 'applied', changes };
}
