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
import { bindListeners, type PublicListeners } from './lifecycle/listeners.js';
import { Lifecycle } from './lifecycle/lifecycle.js';
import { ProgressSampler } from './lifecycle/progress-sampler.js';
import { checkPidFile, claimPidFile, releasePidFile } from './lifecycle/pid-file.js';
import { installSignalHandlers, type SignalActions } from './lifecycle/signals.js';
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

interface Running {
  readonly registry: Registry;
  readonly lifecycle: Lifecycle;
  readonly sampler: ProgressSampler;
  readonly listeners: PublicListeners;
  readonly startedAtMs: number;
  readonly version: string;
}

/** Each accepted socket: into the registry, then an HTTP connection with the right handler. */
function connectionAcceptor(
  config: ServeConfig,
  root: string,
  registry: Registry,
  lifecycle: () => Lifecycle | null,
): (socket: Socket) => void {
  const staticHandler = createStaticHandler({
    root,
    index: config.index,
    listing: config.listing,
    dotfiles: config.dotfiles,
    followSymlinks: config.followSymlinks,
    cacheControl: config.cacheControl,
  });
  const newcomerHandler = drainNewHandler(config.drainNew);
  const options: ConnectionOptions = {
    headerTimeoutMs: config.headerTimeoutMs,
    keepaliveTimeoutMs: config.keepaliveTimeoutMs,
    writeIdleTimeoutMs: config.writeIdleTimeoutMs,
    limits: DEFAULT_HEAD_LIMITS,
  };
  return (socket) => {
    const entry = registry.add(socket);
    const normal = lifecycle()?.admitsNormally ?? true;
    const handler = normal || newcomerHandler === null ? staticHandler : newcomerHandler;
    const connection = new HttpConnection(socket, handler, entry, options);
    entry.connection = connection;
    if (!normal) connection.requestClose();
  };
}

/** What the admin listener shows and controls: status, drain watchers, live feed, metrics. */
function adminViews(run: Running) {
  const { registry, lifecycle, sampler } = run;
  const statusNow = (limit: number) =>
    buildStatus(
      {
        registry,
        state: lifecycle.state,
        startedAtMs: run.startedAtMs,
        version: run.version,
        listeners: run.listeners.addresses,
      },
      limit,
    );
  const watchers = new Set<DrainWatcher>();
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
    isReady: () => lifecycle.state.kind === 'serving',
    drain: (timeoutMs) => {
      sampler.sampleAlways();
      return lifecycle.drain({ trigger: 'admin', timeoutMs });
    },
    stop: () => lifecycle.stop('admin'),
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
  const metrics = createServerMetrics({ registry, state: () => lifecycle.state });
  return {
    routes: [...controlRoutes(control), ...viewRoutes(feed, metrics)],
    /** Tells every watcher and viewer how the drain ended. */
    finish(summary: DrainSummary): void {
      clearInterval(progressTimer);
      for (const watcher of watchers) watcher.finished(summary);
      feed.finish(summary);
    },
  };
}

export async function runServer(config: ServeConfig, options: ServerOptions): Promise<number> {
  const { say } = options;
  const root = await resolveRoot(config.root);
  if (config.pidFile !== null) await checkPidFile(config.pidFile);
  const log = await openAccessLog(config.accessLog);
  const registry = new Registry();
  registry.responseEndListeners.push((entry, outcome) => logResponse(log, entry, outcome));

  let lifecycle: Lifecycle | null = null;
  const onSocket = connectionAcceptor(config, root, registry, () => lifecycle);
  const listeners = await bindListeners(config.listen, onSocket);
  lifecycle = new Lifecycle(registry, listeners, config, say);
  const sampler = new ProgressSampler(registry);
  sampler.start();
  const run: Running = {
    registry,
    lifecycle,
    sampler,
    listeners,
    startedAtMs: Date.now(),
    version: options.version,
  };
  const views = adminViews(run);

  let admin: AdminServer | null = null;
  try {
    if (config.admin !== null) {
      admin = await startAdminServer(config.admin, views.routes, {
        tokenFile: config.adminTokenFile,
      });
    }
    if (config.pidFile !== null) {
      await claimPidFile(config.pidFile, {
        admin: admin?.address ?? null,
        tokenFile: admin?.tokenFile ?? null,
      });
    }
  } catch (error) {
    listeners.close();
    await admin?.close();
    throw error;
  }
  const removeSignalHandlers = installSignalHandlers(signalActions(run, log, say));
  for (const address of listeners.addresses) say(`listening on ${address}`);
  if (admin !== null) {
    say(
      `admin on ${admin.address}${admin.tokenFile === null ? '' : ` (token in ${admin.tokenFile})`}`,
    );
  }
  say(`serving ${root} (pid ${process.pid})`);

  const summary = await lifecycle.finished;
  removeSignalHandlers();
  sampler.stop();
  for (const line of summaryLines(summary)) say(line);
  views.finish(summary);
  await Promise.all([admin?.close(), log.close()]);
  if (config.pidFile !== null) await releasePidFile(config.pidFile);
  return summary.exitStatus;
}

function signalActions(run: Running, log: AccessLog, say: (line: string) => void): SignalActions {
  return {
    drain: (signal) => {
      run.sampler.sampleAlways();
      run.lifecycle.drain({ trigger: signal });
    },
    stop: (signal) => run.lifecycle.stop(signal),
    reopenLogs: (signal) => {
      say(`${signal}: reopening the access log`);
      log.reopen().catch((error: unknown) => say(`cannot reopen the access log: ${String(error)}`));
    },
    unsupported: (signal) => say(`${signal}: zero-downtime upgrade is not supported yet; ignored`),
  };
}
