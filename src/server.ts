/**
 * The composition root: builds every part from a ServeConfig, wires them, and runs the server
 * until its lifecycle says it is over. Returns the process exit status.
 */
import { realpath, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { EbbError } from './errors.js';
import type { ServeConfig } from './config/schema.js';
import { HttpConnection, type ConnectionOptions } from './http/connection.js';
import { DEFAULT_HEAD_LIMITS } from './http/parse-request.js';
import { createStaticHandler } from './serve/handler.js';
import { openAccessLog, type AccessLog } from './log/access-log.js';
import { Registry, type ConnectionEntry } from './lifecycle/registry.js';
import { bindListeners } from './lifecycle/listeners.js';
import { Lifecycle } from './lifecycle/lifecycle.js';
import { ProgressSampler } from './lifecycle/progress-sampler.js';
import { checkPidFile, claimPidFile, releasePidFile } from './lifecycle/pid-file.js';
import { installSignalHandlers } from './lifecycle/signals.js';
import { buildStatus } from './lifecycle/status.js';
import { drainNewHandler } from './lifecycle/drain-replies.js';
import { formatBytes, type DrainSummary } from './lifecycle/state.js';
import { startAdminServer, type AdminServer } from './admin/admin-server.js';
import { controlRoutes, type AdminControl, type DrainWatcher } from './admin/control-routes.js';
import { viewRoutes } from './admin/view-routes.js';
import { deliveredBytes, SnapshotFeed } from './admin/snapshot-feed.js';
import { createServerMetrics } from './admin/metrics.js';
import { headerValue, type ResponseOutcome } from './http/types.js';

export interface ServerOptions {
  readonly version: string;
  /** Operator messages (stderr). */
  readonly say: (line: string) => void;
}

async function resolveRoot(root: string): Promise<string> {
  try {
    const real = await realpath(root);
    if ((await stat(real)).isDirectory()) return real;
  } catch (error) {
    throw new EbbError('ROOT_MISSING', `document root ${root} does not exist`, { cause: error });
  }
  throw new EbbError('ROOT_MISSING', `document root ${root} is not a directory`);
}

function logResponse(log: AccessLog, entry: ConnectionEntry, outcome: ResponseOutcome): void {
  const request = entry.request;
  log.write({
    remoteAddress: entry.remoteAddress,
    startedAtMs: entry.requestStartMs,
    method: request?.method ?? '',
    target: request?.target ?? '',
    minorVersion: request?.minorVersion ?? 1,
    status: entry.status,
    bodyBytesSent: entry.bytesSent,
    referer: request === null ? undefined : headerValue(request, 'referer'),
    userAgent: entry.userAgent,
    durationMs: Date.now() - entry.requestStartMs,
    outcome,
  });
}

function summaryLines(summary: DrainSummary): string[] {
  const seconds = (summary.durationMs / 1000).toFixed(1);
  const lines = [
    `drain finished in ${seconds} s: ${summary.completed.count} downloads completed ` +
      `(${formatBytes(summary.completed.bytes)}), ${summary.cut.length} cut; exit status ${summary.exitStatus}`,
  ];
  for (const cut of summary.cut) {
    lines.push(
      `  cut (${cut.reason}): ${cut.client} ${cut.path} ${cut.bytesSent} of ${cut.bytesDue} bytes`,
    );
  }
  return lines;
}

export async function runServer(config: ServeConfig, options: ServerOptions): Promise<number> {
  const { say } = options;
  const root = await resolveRoot(config.root);
  if (config.pidFile !== null) await checkPidFile(config.pidFile);
  const log = await openAccessLog(config.accessLog);
  const registry = new Registry();
  registry.responseEndListeners.push((entry, outcome) => logResponse(log, entry, outcome));

  const staticHandler = createStaticHandler({
    root,
    index: config.index,
    listing: config.listing,
    dotfiles: config.dotfiles,
    followSymlinks: config.followSymlinks,
    cacheControl: config.cacheControl,
  });
  const newcomerHandler = drainNewHandler(config.drainNew);
  const connectionOptions: ConnectionOptions = {
    headerTimeoutMs: config.headerTimeoutMs,
    keepaliveTimeoutMs: config.keepaliveTimeoutMs,
    writeIdleTimeoutMs: config.writeIdleTimeoutMs,
    limits: DEFAULT_HEAD_LIMITS,
  };

  let lifecycle: Lifecycle | null = null;
  const onSocket = (socket: Socket): void => {
    const entry = registry.add(socket);
    const normal = lifecycle === null || lifecycle.admitsNormally;
    const handler = normal || newcomerHandler === null ? staticHandler : newcomerHandler;
    const connection = new HttpConnection(socket, handler, entry, connectionOptions);
    entry.connection = connection;
    if (!normal) connection.requestClose();
  };

  const listeners = await bindListeners(config.listen, onSocket);
  const running = new Lifecycle(registry, listeners, config, say);
  lifecycle = running;
  const sampler = new ProgressSampler(registry);
  sampler.start();
  const startedAtMs = Date.now();

  const watchers = new Set<DrainWatcher>();
  const statusNow = (limit: number) =>
    buildStatus(
      {
        registry,
        state: running.state,
        startedAtMs,
        version: options.version,
        listeners: listeners.addresses,
      },
      limit,
    );
  // Progress for `ebb stop` watchers: one shared snapshot a second, only while someone watches.
  const progressTimer = setInterval(() => {
    if (watchers.size === 0) return;
    const snapshot = statusNow(1);
    for (const watcher of watchers) watcher.progress(snapshot);
  }, 1000).unref();

  const control: AdminControl = {
    async status(limit) {
      await sampler.demandFresh();
      return statusNow(limit);
    },
    isReady: () => running.state.kind === 'serving',
    drain: (timeoutMs) => {
      sampler.sampleAlways();
      return running.drain({ trigger: 'admin', timeoutMs });
    },
    stop: () => running.stop('admin'),
    watch(watcher) {
      watchers.add(watcher);
      return () => watchers.delete(watcher);
    },
  };

  // The status page's live feed: one snapshot a second, shared, only while someone watches.
  const feed = new SnapshotFeed(
    (limit) => {
      sampler.demand();
      return statusNow(limit);
    },
    () => deliveredBytes(registry),
  );
  let admin: AdminServer | null = null;
  try {
    if (config.admin !== null) {
      const metrics = createServerMetrics({ registry, state: () => running.state });
      const routes = [...controlRoutes(control), ...viewRoutes(feed, metrics)];
      admin = await startAdminServer(config.admin, routes);
    }
    if (config.pidFile !== null) await claimPidFile(config.pidFile);
  } catch (error) {
    listeners.close();
    await admin?.close();
    throw error;
  }

  const removeSignalHandlers = installSignalHandlers({
    drain: (signal) => {
      sampler.sampleAlways();
      running.drain({ trigger: signal });
    },
    stop: (signal) => running.stop(signal),
    reopenLogs: (signal) => {
      say(`${signal}: reopening the access log`);
      log.reopen().catch((error: unknown) => say(`cannot reopen the access log: ${String(error)}`));
    },
    unsupported: (signal) => say(`${signal}: zero-downtime upgrade is not supported yet; ignored`),
  });

  for (const address of listeners.addresses) say(`listening on ${address}`);
  if (admin !== null) say(`admin on ${admin.address}`);
  say(`serving ${root} (pid ${process.pid})`);

  const summary = await running.finished;
  removeSignalHandlers();
  sampler.stop();
  clearInterval(progressTimer);
  for (const line of summaryLines(summary)) say(line);
  for (const watcher of watchers) watcher.finished(summary);
  feed.finish(summary);
  await Promise.all([admin?.close(), log.close()]);
  if (config.pidFile !== null) await releasePidFile(config.pidFile);
  return summary.exitStatus;
}
