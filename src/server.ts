/**
 * The composition root: builds every part from a ServeConfig, wires them, and runs the server
 * until its drain is over. Returns the process exit status. Only wiring lives here.
 */
import type { ServeConfig } from './config/schema.js';
import { openAccessLog } from './log/access-log.js';
import { SwitchableLog } from './log/switchable-log.js';
import { accessLogSink } from './access-log-sink.js';
import { buildConnectionParts, resolveRoot } from './connection-parts.js';
import { reload, type Reloadable } from './reload.js';
import { Registry } from './lifecycle/registry.js';
import { bindEach, ListenerSet } from './lifecycle/listener-set.js';
import { Drain } from './lifecycle/drain.js';
import { createAcceptor } from './lifecycle/acceptor.js';
import type { ReloadOutcome } from './lifecycle/change-outcome.js';
import { drainSummaryLines } from './lifecycle/drain-summary.js';
import { isListening, lifecycleView } from './lifecycle/state.js';
import { checkPidFile, claimPidFile, releasePidFile } from './lifecycle/pid-file.js';
import { installSignalHandlers, type SignalActions } from './lifecycle/signals.js';
import { ProgressSampler } from './progress/progress-sampler.js';
import { startAdminServer, type AdminServer } from './admin/admin-server.js';
import { createAdminViews } from './admin/admin-views.js';
import { createServerMetrics } from './admin/metrics.js';
import { adoptListeners, takeSocketActivation } from './systemd/inherited-listeners.js';
import { createNotifier } from './systemd/notify.js';
import { createSupervisor } from './systemd/supervisor.js';
import { accountToRunAs, dropPrivileges } from './systemd/privileges.js';

export interface ServerOptions {
  readonly version: string;
  /** Operator messages (stderr). */
  readonly say: (line: string) => void;
  /** Reads the configuration again from the same command line and file (for a reload). */
  readonly loadConfig: () => Promise<ServeConfig>;
}

/** Reloads one at a time: a reload asked for during one runs after it, on the newest file. */
function reloader(target: Reloadable, say: (line: string) => void) {
  let last: Promise<ReloadOutcome> = Promise.resolve({ kind: 'applied', changes: [] });
  return (trigger: string): Promise<ReloadOutcome> => {
    last = last.then(async () => {
      const before = new Set(target.listeners?.addresses);
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
      return outcome;
    });
    return last;
  };
}

function signalActions(
  drain: Drain,
  log: SwitchableLog,
  reloadNow: (trigger: string) => Promise<ReloadOutcome>,
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
    upgrade: (signal) => say(`${signal}: zero-downtime upgrade is not supported yet; ignored`),
  };
}

export async function runServer(config: ServeConfig, options: ServerOptions): Promise<number> {
  const { say } = options;
  const root = await resolveRoot(config.root);
  if (config.pidFile !== null) await checkPidFile(config.pidFile);
  // systemd (issue 10): the account to switch to and the inherited listeners, before any bind.
  const account = await accountToRunAs(config, say);
  const activation = takeSocketActivation();
  const log = new SwitchableLog(await openAccessLog(config.accessLog));
  const registry = new Registry();
  const drain = new Drain(registry, config, say);
  const metrics = createServerMetrics({ registry, state: () => lifecycleView(drain.state) });
  const parts = buildConnectionParts(config, root, [accessLogSink(log), metrics.sink, drain]);
  const acceptor = createAcceptor(registry, drain, parts);
  const fromSystemd = activation.publicFds.length > 0;
  const listeners = new ListenerSet(
    fromSystemd
      ? [
          {
            key: 'systemd',
            listeners: await adoptListeners(activation.publicFds, acceptor.onSocket),
          },
        ]
      : await bindEach(config.listen, acceptor.onSocket),
  );
  const reloadNow = reloader(
    {
      loadConfig: options.loadConfig,
      acceptor,
      listeners: fromSystemd ? null : listeners,
      log,
      drain,
      config,
    },
    say,
  );
  const sampler = new ProgressSampler(registry);
  drain.observe((state) => {
    if (!isListening(state)) listeners.close();
    if (state.kind !== 'serving') sampler.sampleAlways();
  });
  const views = createAdminViews({
    registry,
    drain,
    sampler,
    metrics,
    listenerAddresses: () => listeners.addresses,
    changes: {
      reload: () => reloadNow('admin'),
      upgrade: () => Promise.resolve({ kind: 'failed', problem: 'not supported yet' }),
    },
    startedAtMs: Date.now(),
    version: options.version,
  });
  // systemd (issue 10): READY/STOPPING/STATUS/EXTEND_TIMEOUT_USEC; inert without NOTIFY_SOCKET.
  const supervisor = createSupervisor(createNotifier(process.env, say), () => views.statusNow(0));
  drain.observe((state) => {
    if (state.kind !== 'serving') supervisor.drainBegan();
  });

  let admin: AdminServer | null = null;
  const adminAt =
    activation.adminFd === null ? config.admin : { kind: 'fd' as const, fd: activation.adminFd };
  try {
    if (adminAt !== null) admin = await startAdminServer(adminAt, views.routes);
    if (config.pidFile !== null) await claimPidFile(config.pidFile);
    if (account !== null) dropPrivileges(account); // systemd (issue 10): after bind, log, pid file
  } catch (error) {
    listeners.close();
    await admin?.close();
    // systemd (issue 10): a failed switch to --user comes after the pid file was written.
    if (config.pidFile !== null) await releasePidFile(config.pidFile);
    throw error;
  }
  sampler.start();
  const removeSignalHandlers = installSignalHandlers(signalActions(drain, log, reloadNow, say));
  for (const address of listeners.addresses) say(`listening on ${address}`);
  if (admin !== null) say(`admin on ${admin.address}`);
  if (activation.description !== '') say(`listeners from systemd: ${activation.description}`);
  if (account !== null) say(`running as ${account.user}:${account.group}`);
  say(`serving ${root} (pid ${process.pid})`);
  supervisor.ready(listeners.addresses); // systemd (issue 10): READY=1

  const summary = await drain.finished;
  removeSignalHandlers();
  sampler.stop();
  for (const line of drainSummaryLines(summary)) say(line);
  views.finish(summary);
  await Promise.all([admin?.close(), log.close(), supervisor.finished(summary)]);
  if (config.pidFile !== null) await releasePidFile(config.pidFile);
  return summary.exitStatus;
}
