/**
 * The composition root: builds every part from a ServeConfig, wires them, and runs the server
 * until its drain is over. Returns the process exit status. Only wiring lives here.
 */
import type { ServeConfig } from './config/schema.js';
import { createMirrorHooks } from './mirror/mirror-hooks.js';
import { startDigests } from './mirror/digest-queue.js';
import { openDigestStore } from './mirror/digest-store.js';
import { openAccessLog, type AccessLog, type AccessLogFaults } from './log/access-log.js';
import type { OperatorOutput } from './log/operator-output.js';
import { SwitchableLog } from './log/switchable-log.js';
import { accessLogSink } from './access-log-sink.js';
import { buildConnectionParts, resolveRoot } from './connection-parts.js';
import { reload, type Reloadable } from './reload.js';
import { upgrader } from './upgrade.js';
import { Registry } from './lifecycle/registry.js';
import { bindEach, ListenerSet } from './lifecycle/listener-set.js';
import { Drain } from './lifecycle/drain.js';
import { createAcceptor } from './lifecycle/acceptor.js';
import type { ReloadOutcome, UpgradeOutcome } from './lifecycle/change-outcome.js';
import { Generations } from './lifecycle/generations.js';
import { adoptOrBind, receiveHandover, type ParentChannel } from './lifecycle/handover.js';
import type { GenerationRow } from './lifecycle/handover-protocol.js';
import type { StatusSnapshot } from './lifecycle/status.js';
import type { LaunchCommand } from './lifecycle/upgrade.js';
import { drainSummaryLines } from './lifecycle/drain-summary.js';
import { lifecycleView } from './lifecycle/state.js';
import { checkPidFile, claimPidFile, releasePidFile } from './lifecycle/pid-file.js';
import { installSignalHandlers, type SignalActions } from './lifecycle/signals.js';
import { Warnings } from './lifecycle/warnings.js';
import { FdGate } from './lifecycle/fd-limit.js';
import { ProgressSampler } from './progress/progress-sampler.js';
import { startAdminServer, type AdminBinding, type AdminServer } from './admin/admin-server.js';
import { createAdminViews } from './admin/admin-views.js';
import { createServerMetrics } from './admin/metrics.js';
import { adoptListeners, takeSocketActivation } from './systemd/inherited-listeners.js';
import { createNotifier } from './systemd/notify.js';
import { createSupervisor } from './systemd/supervisor.js';
import { accountToRunAs, dropPrivileges } from './systemd/privileges.js';
import { readConfiguredCredentials, TlsListeners } from './tls/tls-listeners.js';
import { ConnectionCaps } from './limits/connection-caps.js';
import { RateLimits } from './limits/rate-limits.js';
import { limitsStatus } from './limits/limits-status.js';

export interface ServerOptions {
  readonly version: string;
  /** Operator messages (stderr), best effort. */
  readonly output: OperatorOutput;
  /** Reads the configuration again from the same command line and file (for a reload). */
  readonly loadConfig: () => Promise<ServeConfig>;
  /** How this ebb was started: an upgrade starts the new one the same way. */
  readonly commandLine: LaunchCommand;
  /** Set when an upgrading ebb started this one: the channel it hands its sockets over on. */
  readonly handover: ParentChannel | null;
}

function generationRow(status: StatusSnapshot): GenerationRow {
  const { connections, downloadsInFlight, bytesLeft } = status.counters;
  return { pid: status.pid, state: status.state, connections, downloadsInFlight, bytesLeft };
}

/** Reloads one at a time: a reload asked for during one runs after it, on the newest file. */
function reloader(target: Reloadable, say: (line: string) => void) {
  let last: Promise<ReloadOutcome> = Promise.resolve({ kind: 'applied', changes: [] });
  return (trigger: string): Promise<ReloadOutcome> => {
    last = last.then(async () => {
      const before = new Set([...(target.listeners?.addresses ?? []), ...target.tls.addresses]);
      const outcome = await reload(target);
      if (outcome.kind === 'rejected') {
        say(`reload (${trigger}) refused, the running configuration is unchanged:`);
        for (const problem of outcome.problems) say(`  ${problem}`);
        return outcome;
      }
      say(`reload (${trigger}): ${outcome.changes.length === 0 ? 'nothing changed' : 'applied'}`);
      for (const change of outcome.changes) say(`  ${change}`);
      for (const address of target.listeners?.addresses ?? []) {
        if (!before.has(address)) say(`listening on ${address}`);
      }
      for (const address of target.tls.addresses) {
        if (!before.has(address)) say(`listening on ${address} (TLS)`);
      }
      return outcome;
    });
    return last;
  };
}

function signalActions(
  drain: Drain,
  log: AccessLog,
  reloadNow: (trigger: string) => Promise<ReloadOutcome>,
  upgradeNow: (trigger: string) => Promise<UpgradeOutcome>,
  say: (line: string) => void,
): SignalActions {
  return {
    drain: (signal) => void drain.drain({ trigger: signal }),
    stop: (signal) => void drain.stop(signal),
    reload: (signal) => void reloadNow(signal),
    reopenLogs: (signal) => {
      say(`${signal}: reopening the access log`);
      log.reopen().catch((error: unknown) => say(`cannot reopen the access log: ${String(error)}`));
    },
    upgrade: (signal) => void upgradeNow(signal),
  };
}

export async function runServer(config: ServeConfig, options: ServerOptions): Promise<number> {
  const say = options.output.say;
  const { handover } = options;
  const root = await resolveRoot(config.root);
  if (config.pidFile !== null) await checkPidFile(config.pidFile);
  const credentials = await readConfiguredCredentials(config);
  for (const warning of credentials?.warnings ?? []) say(`warning: ${warning}`);
  // systemd (issue 10): the account to switch to and the inherited listeners, before any bind.
  const account = await accountToRunAs(config, say);
  const activation = takeSocketActivation();
  const warnings = new Warnings(say);
  const log = new SwitchableLog(
    await openAccessLog(config.accessLog, accessLogFaults(config, warnings)),
  );
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
  const sinks = [accessLogSink(log), metrics.sink, drain];
  // Start-up and each reload (issue 11) build the parts the same way, over the same digests.
  const buildParts: Reloadable['buildParts'] = (next, nextRoot) =>
    buildConnectionParts(
      next,
      nextRoot,
      sinks,
      createMirrorHooks({
        peers: next.peers,
        digests,
        metalink: next.metalink,
        generator: `ebb/${options.version}`,
      }),
    );
  const caps = new ConnectionCaps();
  const rates = new RateLimits(config);
  const acceptor = createAcceptor(registry, drain, buildParts(config, root), { caps, rates });
  const fdGate = new FdGate(() => registry.size, warnings);
  const accept = fdGate.guard(acceptor.onSocket);
  const onListenerError = (error: NodeJS.ErrnoException, where: string): void =>
    warnings.record('ACCEPT_FAILED', `listener ${where}: ${error.code ?? error.message}`);
  const fromSystemd = activation.publicFds.length > 0;
  // An upgrade (issue 11): the sockets are asked for only now that connections can be served.
  // TLS listeners (issue 13) are plain TCP servers whose sockets are wrapped after the fd gate.
  const tls = new TlsListeners(credentials, {
    onSocket: acceptor.onSocket,
    guard: (onSocket) => fdGate.guard(onSocket),
    onError: onListenerError,
  });
  const inherited =
    handover === null
      ? null
      : await receiveHandover(handover, accept, tls.enabled ? tls.accept : null);
  const listeners = new ListenerSet(
    fromSystemd
      ? [{ key: 'systemd', listeners: await adoptListeners(activation.publicFds, accept) }]
      : inherited !== null
        ? await adoptOrBind(config.listen, inherited, accept, onListenerError) // issue 11
        : await bindEach(config.listen, accept, onListenerError),
  );
  await tls.start(config, inherited?.tlsListeners ?? new Map()).catch((error: unknown) => {
    listeners.close();
    tls.stop();
    throw error;
  });
  const reloadNow = reloader(
    {
      loadConfig: options.loadConfig,
      buildParts,
      openLog: (target) =>
        openAccessLog(target, accessLogFaults({ ...config, accessLog: target }, warnings)),
      acceptor,
      accept,
      onListenerError,
      listeners: fromSystemd ? null : listeners,
      log,
      drain,
      tls,
      rates,
      config,
    },
    say,
  );
  const sampler = new ProgressSampler(registry);
  drain.observe((state) => {
    // A stop, or an upgrade whose successor accepts on the same sockets: close at once.
    if (state.kind === 'stopping' || (state.kind === 'draining' && state.trigger === 'upgrade')) {
      listeners.close();
      tls.close();
    }
    if (state.kind === 'draining' && state.listeners === 'closing') {
      void Promise.all([listeners.closeAfterAccepting(), tls.closeAfterAccepting()]).then(() =>
        drain.listenersClosed(),
      );
    }
    if (state.kind !== 'serving') sampler.sampleAlways();
    if (state.kind !== 'serving' && config.drainLiftLimits) rates.lift();
  });
  let admin: AdminServer | null = null;
  const generations = new Generations(() => generationRow(views.statusNow(0)));
  const upgradeNow = upgrader({
    command: options.commandLine,
    pidFile: config.pidFile,
    listeners: () => [
      ...listeners.handles().map((handle) => ({ ...handle, tls: false })),
      ...tls.handles().map((handle) => ({ ...handle, tls: true })),
    ],
    admin: () => admin,
    drain,
    generations,
    say,
  });
  const views = createAdminViews({
    registry,
    drain,
    sampler,
    metrics,
    listenerAddresses: () => [...listeners.addresses, ...tls.addresses],
    olderGenerations: () => generations.olderRows(),
    changes: { reload: () => reloadNow('admin'), upgrade: () => upgradeNow('admin') },
    startedAtMs: Date.now(),
    version: options.version,
    warnings: () => warnings.list(),
    limits: () => limitsStatus(acceptor.parts.limits, caps.counters, rates.status),
  });
  // systemd (issue 10): READY/STOPPING/STATUS/EXTEND_TIMEOUT_USEC; inert without NOTIFY_SOCKET.
  const notifier = createNotifier(process.env, say);
  const supervisor = createSupervisor(notifier, () => views.statusNow(0));
  drain.observe((state) => {
    // Handed over (issue 11): the new process is the service now; this one is not stopping it.
    if (state.kind !== 'serving' && state.trigger !== 'upgrade') supervisor.drainBegan();
  });

  let lowRoom: string | null = null;
  const adminAt: AdminBinding | null =
    activation.adminFd !== null
      ? { kind: 'fd', fd: activation.adminFd }
      : inherited?.admin != null && config.admin !== null
        ? { kind: 'inherited', ...inherited.admin, address: config.admin }
        : config.admin;
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
    tls.close();
    tls.stop();
    await admin?.close();
    // systemd (issue 10): a failed switch to --user comes after the pid file was written.
    if (config.pidFile !== null) await releasePidFile(config.pidFile);
    throw error;
  }
  sampler.start();
  const removeSignalHandlers = installSignalHandlers(
    signalActions(drain, log, reloadNow, upgradeNow, say),
  );
  for (const address of listeners.addresses) say(`listening on ${address}`);
  for (const address of tls.addresses) say(`listening on ${address} (TLS)`);
  if (admin !== null) {
    say(
      `admin on ${admin.address}${admin.tokenFile === null ? '' : ` (token in ${admin.tokenFile})`}`,
    );
  }
  if (activation.description !== '') say(`listeners from systemd: ${activation.description}`);
  if (account !== null) say(`running as ${account.user}:${account.group}`);
  if (lowRoom !== null) say(lowRoom);
  const from = inherited === null ? '' : `, upgraded from pid ${inherited.oldPid}`;
  say(`serving ${root} (pid ${process.pid}${from})`);
  if (handover !== null) {
    // The supervisor follows the new process (issue 11; Type=notify, NotifyAccess=all).
    notifier?.notify({ MAINPID: String(process.pid) });
    generations.followParent(handover);
    await handover.send({ type: 'ready', pid: process.pid });
  }
  supervisor.ready(listeners.addresses); // systemd (issue 10): READY=1

  const summary = await drain.finished;
  removeSignalHandlers();
  sampler.stop();
  tls.stop();
  for (const line of drainSummaryLines(summary)) say(line);
  views.finish(summary);
  generations.stop();
  // Handed over (issue 11): the new process is the service now; its status is not ours to set.
  const told = summary.trigger === 'upgrade' ? Promise.resolve() : supervisor.finished(summary);
  await Promise.all([admin?.close(), log.close(), told, digests?.close()]);
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
