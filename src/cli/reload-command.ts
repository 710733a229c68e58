/**
 * `ebb reload`: asks a running ebb to read its configuration again and apply it (nothing of it
 * unless all of it can be). Through the admin listener it prints what changed (exit 0) or every
 * problem (exit 2, as a bad config does); without one it sends SIGHUP and the outcome is on the
 * server's stderr.
 */
import { EXIT_STATUS } from '../errors.js';
import type { ReloadOutcome } from '../lifecycle/change-outcome.js';
import { requestChange } from './change-request.js';
import { ADMIN_TARGET_USAGE } from './admin-target.js';

export const RELOAD_USAGE = `usage: ebb reload [--pid-file FILE | --admin ADDR [--admin-token-file FILE]]

  Asks a running ebb to read its configuration again (same command line, same --config file)
  and apply it: new connections and the next request of open ones use it; responses in flight
  finish as they began. All of it or nothing: any problem leaves the running configuration as it
  was, and every problem is printed (exit 2). Same as SIGHUP.
${ADMIN_TARGET_USAGE}`;

export async function runReload(argv: readonly string[], out: NodeJS.WriteStream): Promise<number> {
  const outcome = await requestChange<ReloadOutcome>(
    argv,
    { command: 'reload', path: '/reload', signal: 'SIGHUP' },
    out,
  );
  if (outcome === null) return EXIT_STATUS.OK;
  if (outcome.kind === 'rejected') {
    out.write('reload refused; the running configuration is unchanged:\n');
    for (const problem of outcome.problems) out.write(`  ${problem.replace(/\n/g, '\n  ')}\n`);
    return EXIT_STATUS.USAGE;
  }
  if (outcome.changes.length === 0) out.write('reloaded: nothing changed\n');
  else out.write(`reloaded:\n${outcome.changes.map((c) => `  ${c}\n`).join('')}`);
  return EXIT_STATUS.OK;
}
