/**
 * An upgrade (SIGUSR2, `POST /upgrade`, `ebb upgrade`), one at a time: the pid file moves to
 * `PIDFILE.oldbin`, the new ebb is started and handed the sockets, and only once it is ready
 * does this one let go of the admin listener and drain (its listeners closed at once: the new
 * one accepts on the same sockets). A new ebb that fails is stopped, the pid file restored, and
 * this one goes on serving and accepting as if nothing had happened.
 */
import type { AdminServer } from './admin/admin-server.js';
import type { UpgradeOutcome } from './lifecycle/change-outcome.js';
import type { Drain } from './lifecycle/drain.js';
import type { Generations } from './lifecycle/generations.js';
import { moveToOldbin, restoreFromOldbin } from './lifecycle/pid-file.js';
import { startNewGeneration, type HandedOver, type LaunchCommand } from './lifecycle/upgrade.js';

export interface Upgradable {
  readonly command: LaunchCommand;
  readonly pidFile: string | null;
  /** The public listeners to hand over, plain and TLS, as they are when the upgrade starts. */
  readonly listeners: () => HandedOver['listeners'];
  readonly admin: () => AdminServer | null;
  readonly drain: Drain;
  readonly generations: Generations;
  readonly say: (line: string) => void;
}

export function upgrader(target: Upgradable): (trigger: string) => Promise<UpgradeOutcome> {
  let running: Promise<UpgradeOutcome> | null = null;
  return (trigger) => {
    if (running !== null) {
      return Promise.resolve({ kind: 'failed', problem: 'an upgrade is already under way' });
    }
    running = upgrade(target, trigger).finally(() => (running = null));
    return running;
  };
}

async function upgrade(target: Upgradable, trigger: string): Promise<UpgradeOutcome> {
  const { say, pidFile } = target;
  const failed = (problem: string): UpgradeOutcome => {
    say(`upgrade (${trigger}) failed; still serving and accepting: ${problem}`);
    return { kind: 'failed', problem };
  };
  if (target.drain.state.kind !== 'serving') return failed('this ebb is draining');
  say(`upgrade (${trigger}): starting a new ebb from the code on disk`);
  try {
    if (pidFile !== null) await moveToOldbin(pidFile);
  } catch (error) {
    return failed(error instanceof Error ? error.message : String(error));
  }
  const admin = target.admin();
  const started = await startNewGeneration(target.command, {
    listeners: target.listeners(),
    admin: admin?.server ?? null,
  });
  if (started.kind === 'failed') {
    if (pidFile !== null) await restoreFromOldbin(pidFile);
    return failed(started.problem);
  }
  say(`upgrade (${trigger}): the new ebb (pid ${started.pid}) is serving; draining this one`);
  target.generations.reportTo(started.child);
  target.drain.observe(() => target.generations.report());
  admin?.release();
  void target.drain.drain({ trigger: 'upgrade', handedOver: true });
  return { kind: 'upgraded', pid: started.pid, oldPid: process.pid };
}
