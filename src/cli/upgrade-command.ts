/**
 * `ebb upgrade`: asks a running ebb to start the code now on disk with the same command line,
 * hand it the listening sockets and drain. Through the admin listener it waits for the outcome:
 * the new pid (exit 0), or the new process's error (exit 1; the old one keeps serving). Without
 * one it sends SIGUSR2 and the outcome is on the server's stderr.
 */
import { EXIT_STATUS } from '../errors.js';
import type { UpgradeOutcome } from '../lifecycle/change-outcome.js';
import { requestChange } from './change-request.js';
import { ADMIN_TARGET_USAGE } from './admin-target.js';

export const UPGRADE_USAGE = `usage: ebb upgrade [--pid-file FILE | --admin ADDR [--admin-token-file FILE]]

  Zero-downtime upgrade, as nginx's binary upgrade: the running ebb starts a new one from the
  code now on disk (same command line and config), hands it the listening sockets, and once it
  is ready stops accepting and drains: every download in flight finishes on the old process,
  nothing queued on the sockets is lost. The pid file names the new process; the old one's pid
  is in PIDFILE.oldbin until it exits. If the new one fails to start or to become ready, it is
  stopped, the old one keeps serving, and the error is printed (exit 1). Same as SIGUSR2.
${ADMIN_TARGET_USAGE}`;

export async function runUpgrade(
  argv: readonly string[],
  out: NodeJS.WriteStream,
): Promise<number> {
  const outcome = await requestChange<UpgradeOutcome>(
    argv,
    { command: 'upgrade', path: '/upgrade', signal: 'SIGUSR2' },
    out,
  );
  if (outcome === null) return EXIT_STATUS.OK;
  if (outcome.kind === 'failed') {
    out.write(
      `upgrade failed; the running ebb keeps serving:\n  ${outcome.problem.replace(/\n/g, '\n  ')}\n`,
    );
    return EXIT_STATUS.FAILED;
  }
  out.write(
    `upgraded: the new ebb (pid ${outcome.pid}) serves; the old one (pid ${outcome.oldPid}) drains\n`,
  );
  return EXIT_STATUS.OK;
}
