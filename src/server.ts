/**
 * The composition root: builds every part from a ServeConfig, wires them, and runs the server
 * until its drain is over. Returns the process exit status. Only wiring lives here.
 */
import { realpath, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { EbbError } from './errors.js';
import type { ServeConfig } from './config/schema.js';
import { LINGER_MS } from './http/connection.js';
import { DEFAULT_HEAD_LIMITS } from './http/parse-request.js';
import { createStaticHandler } from './serve/handler.js';
import type { MirrorHooks } from './serve/mirror-hooks.js';
import { createMirrorHooks } from './mirror/mirror-hooks.js';
import { startDigests } from './mirror/digest-queue.js';
import { openDigestStore } from './mirror/digest-store.js';
import { openAccessLog, type AccessLog, type AccessLogFaults } from './log/access-log.js';
import type { OperatorOutput } from './log/operator-output.js';
import { accessLogSink } from './access-log-sink.js';
import { Registry } from './lifecycle/registry.js';
import { bindPublicListeners, type ListenerGroup } from './lifecycle/public-listeners.js';
import type { ListenerErrorSink } from './lifecycle/listeners.js';
import { Drain } from './lifecycle/drain.js';
import { acceptor, type ConnectionParts } from './lifecycle/acceptor.js';
import { drainNewHandler } from './lifecycle/drain-replies.js';
import { drainSummaryLines } from './lifecycle/drain-summary.js';
import type { ResponseSink } from './lifecycle/response-record.js';
import { isListening, lifecycleView } from './lifecycle/state.js';
import { checkPidFile, claimPidFile, releasePidFile } from './lifecycle/pid-file.js';
import { installSignalHandlers, type SignalActions } from './lifecycle/signals.js';
import { Warnings } from './lifecycle/warnings.js';
import { FdGate } from './lifecycle/fd-limit.js';
import { ProgressSampler } from './progress/progress-sampler.js';
import { startAdminServer, type AdminServer } from './admin/admin-server.js';
import { createAdminViews } from './admin/admin-views.js';
import { createServerMetrics } from './admin/metrics.js';
import { adoptListeners, takeSocketActivation } from './systemd/inherited-listeners.js';
import { createNotifier } from './systemd/notify.js';
import { createSupervisor } from './systemd/supervisor.js';
import { accountToRunAs, dropPrivileges } from './systemd/privileges.js';
import { readTlsCredentials, type TlsFiles } from './tls/secure-context.js';
import { TlsTerminator } from './tls/tls-terminator.js';
import { ConnectionCaps } from './limits/connection-caps.js';
import { RateLimits } from './limits/rate-limits.js';
import { limitsStatus } from './limits/limits-status.js';

export interface ServerOptions {
  readonly version: string;
  /** Operator messages (stderr), best effort. */
  readonly output: OperatorOutput;
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

/** What new connections are built with, from one config: a reload would call this again. */
function buildConnectionParts(
  config: ServeConfig,
  root: string,
  sinks: readonly ResponseSink[],
  mirror: MirrorHooks | undefined,
): ConnectionParts {
  const { index, listing, dotfiles, followSymlinks, cacheControl } = config;
  const files = { root, index, listing, dotfiles, followSymlinks, cacheControl, mirror };
  return {
    handler: createStaticHandler(files),
    newcomerHandler: drainNewHandler(config.drainNew),
    options: {
      headerTimeoutMs: config.headerTimeoutMs,
      keepaliveTimeoutMs: config.keepaliveTimeoutMs,
      writeIdleTimeoutMs: config.writeIdleTimeoutMs,
      lingerMs: LINGER_MS,
      limits: DEFAULT_HEAD_LIMITS,
    },
    sinks,
    limits: {
      maxConnections: config.maxConnections,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      ipv6PrefixBits: config.ipv6PrefixBits,
    },
  };
}

/** The certificate and key of the `--listen-tls` listeners; null when there are none. */
function tlsFilesOf(config: ServeConfig): TlsFiles | null {
  const { listenTls, tlsCert, tlsKey } = config;
  if (listenTls.length === 0 || tlsCert === null || tlsKey === null) return null;
  return { certPath: tlsCert, keyPath: tlsKey };
}

/** Plain and TLS listeners, each socket within the fd gate; a TLS one is wrapped after it. */
function listenerGroups(
  config: ServeConfig,
  accept: (socket: Socket) => void,
  fdGate: FdGate,
  tls: TlsTerminator | null,
): ListenerGroup[] {
  const plain = { addresses: config.listen, onSocket: fdGate.guard(accept), suffix: '' };
  if (tls === null) return [plain];
  const onSocket = fdGate.guard((socket) => accept(tls.wrap(socket)));
  return [plain, { addresses: config.listenTls, onSocket, suffix: ' (TLS)' }];
}

function signalActions(drain: Drain, log: AccessLog, say: (line: string) => void): SignalActions {
  return {
    drain: (signal) => void drain.drain({ trigger: signal }),
    stop: (signal) => void drain.stop(signal),
    reopenLogs: (signal) => {
      say(`${signal}: reopening the access log`);
      log.reopen().catch((error: unknown) => say(`cannot reopen the access log: ${String(error)}`));
    },
    unsupported: (signal) => say(`${signal}: zero-downtime upgrade is not supported yet; ignored`),
  };
}

export async function runServer(config: ServeConfig, options: ServerOptions): Promise<number> {
  const say = options.output.say;
  const root = await resolveRoot(config.root);
  if (config.pidFile !== null) await checkPidFile(config.pidFile);
  const tlsFiles = tlsFilesOf(config);
  const credentials = tlsFiles === null ? null : await readTlsCredentials(tlsFiles, Date.now());
  for (const warning of credentials?.warnings ?? []) say(`warning: ${warning}`);
  // systemd (issue 10): the account to switch to and the inherited listeners, before any bind.
  const account = await accountToRunAs(config, say);
  const activation = takeSocketActivation();
  const warnings = new Warnings(say);
  const log = await openAccessLog(config.accessLog, accessLogFaults(config, warnings));
  noteStderrLoss(options.output, warnings, log);
  const registry = new Registry();
  const drain = new Drain(registry, config, say);
  const metrics = createServerMetrics({
    registry,
    state: () => lifecycleView(drain.state),
    faults: {
      warningCount: (code) => warnings.count(code),
      accessLogLinesDropped: () => log.linesDropped,
    },
  });
  const digests = config.digests
    ? startDigests(await openDigestStore(config.stateDir, say), say)
    : null;
  const mirror = createMirrorHooks({
    peers: config.peers,
    digests,
    metalink: config.metalink,
    generator: `ebb/${options.version}`,
  });
  const sinks = [accessLogSink(log), metrics.sink, drain];
  const parts = buildConnectionParts(config, root, sinks, mirror);
  const fdGate = new FdGate(() => registry.size, warnings);
  const caps = new ConnectionCaps();
  const rates = new RateLimits(config);
  const accept = acceptor(registry, drain, parts, { caps, rates });
  const tls = credentials === null ? null : new TlsTerminator(credentials);
  const onAcceptError: ListenerErrorSink = (error, where) =>
    warnings.record('ACCEPT_FAILED', `listener ${where}: ${error.code ?? error.message}`);
  const listeners =
    activation.publicFds.length > 0
      ? await adoptListeners(activation.publicFds, fdGate.guard(accept)) // systemd (issue 10)
      : await bindPublicListeners(listenerGroups(config, accept, fdGate, tls), onAcceptError).catch(
          (error: unknown) => {
            tls?.stop();
            throw error;
          },
        );
  const sampler = new ProgressSampler(registry);
  drain.observe((state) => {
    if (!isListening(state)) listeners.close();
    if (state.kind !== 'serving') sampler.sampleAlways();
    if (state.kind !== 'serving' && config.drainLiftLimits) rates.lift();
  });
  const views = createAdminViews({
    registry,
    drain,
    sampler,
    metrics,
    listenerAddresses: listeners.addresses,
    startedAtMs: Date.now(),
    version: options.version,
    warnings: () => warnings.list(),
    limits: () => limitsStatus(parts.limits, caps.counters, rates.status),
  });
  // systemd (issue 10): READY/STOPPING/STATUS/EXTEND_TIMEOUT_USEC; inert without NOTIFY_SOCKET.
  const supervisor = createSupervisor(createNotifier(process.env, say), () => views.statusNow(0));
  drain.observe((state) => {
    if (state.kind !== 'serving') supervisor.drainBegan();
  });

  let admin: AdminServer | null = null;
  let lowRoom: string | null = null;
  const adminAt =
    activation.adminFd === null ? config.admin : { kind: 'fd' as const, fd: activation.adminFd };
  try {
    if (adminAt !== null) {
      admin = await startAdminServer(adminAt, views.routes, { tokenFile: config.adminTokenFile });
    }
    if (config.pidFile !== null) {
      await claimPidFile(config.pidFile, {
        admin: admin?.address ?? null,
        tokenFile: admin?.tokenFile ?? null,
      });
    }
    // Once all ebb opens at start is open, and while /proc/self is still readable (before setuid).
    lowRoom = fdGate.measure();
    if (account !== null) dropPrivileges(account); // systemd (issue 10): after bind, log, pid file
  } catch (error) {
    listeners.close();
    tls?.stop();
    await admin?.close();
    // systemd (issue 10): a failed switch to --user comes after the pid file was written.
    if (config.pidFile !== null) await releasePidFile(config.pidFile);
    throw error;
  }
  sampler.start();
  const removeSignalHandlers = installSignalHandlers(signalActions(drain, log, say));
  for (const address of listeners.addresses) say(`listening on ${address}`);
  if (admin !== null) {
    say(
      `admin on ${admin.address}${admin.tokenFile === null ? '' : ` (token in ${admin.tokenFile})`}`,
    );
  }
  if (activation.description !== '') say(`listeners from systemd: ${activation.description}`);
  if (account !== null) say(`running as ${account.user}:${account.group}`);
  if (lowRoom !== null) say(lowRoom);
  say(`serving ${root} (pid ${process.pid})`);
  supervisor.ready(listeners.addresses); // systemd (issue 10): READY=1

  const summary = await drain.finished;
  removeSignalHandlers();
  sampler.stop();
  tls?.stop();
  for (const line of drainSummaryLines(summary)) say(line);
  views.finish(summary);
  await Promise.all([admin?.close(), log.close(), supervisor.finished(summary), digests?.close()]);
  if (config.pidFile !== null) await releasePidFile(config.pidFile);
  return summary.exitStatus;
}

/** Access log failures: counted each time, told once per episode (rate-limited), then resumed. */
function accessLogFaults(config: ServeConfig, warnings: Warnings): AccessLogFaults {
  const where = config.accessLog.kind === 'file' ? config.accessLog.path : 'stdout';
  return {
    failed: (why) =>
      warnings.record(
        'ACCESS_LOG_WRITE',
        `cannot write the access log (${where}): ${why}; serving on, lines held up to 1 MiB, then dropped`,
      ),
    resumed: (failedForMs, linesDropped) =>
      warnings.resolve(
        'ACCESS_LOG_WRITE',
        `access log (${where}) written again after ${(failedForMs / 1000).toFixed(1)} s; ` +
          `${linesDropped} lines dropped`,
      ),
  };
}

/** stderr gone (terminal closed, pipe reader left): noted where it still can be. */
function noteStderrLoss(output: OperatorOutput, warnings: Warnings, log: AccessLog): void {
  output.onStderrLost((loss) => {
    const message = `stderr failed (${loss.why}): operator messages are dropped from now on`;
    warnings.record('STDERR_WRITE', message);
    log.note(`ebb ${new Date().toISOString()} ${message}`);
  });
}
