/**
 * `ebb reload`: asks a running ebb to read its configuration again and apply it (nothing of it
 * unless all of it can be). Through the admin listener it prints what changed (exit 0) or every
 * problem (exit 2, as a bad config does); without one it sends SIGHUP and the outcome is on the
 * server's stderr.
 */
import { parseArgs } from 'node:util';
import { EbbError, EXIT_STATUS } from '../errors.js';
import { isEbbServer, readPidFile } from '../lifecycle/pid-file.js';
import type { ReloadOutcome } from '../lifecycle/change-outcome.js';
import { adminRequest, readBody } from './admin-client.js';
import { ADMIN_TARGET_OPTIONS, resolveAdminTarget } from './admin-target.js';

export const RELOAD_USAGE = `usage: ebb reload [--pid-file FILE | --admin unix:PATH|HOST:PORT]

  Asks a running ebb to read its configuration again (same command line, same --config file)
  and apply it: new connections and the next request of open ones use it; responses in flight
  finish as they began. All of it or nothing: any problem leaves the running configuration as it
  was, and every problem is printed (exit 2). Same as SIGHUP.`;

function parseReloadArgs(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...ADMIN_TARGET_OPTIONS },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new EbbError('USAGE', `${(error as Error).message}\n${RELOAD_USAGE}`);
  }
}

export async function runReload(argv: readonly string[], out: NodeJS.WriteStream): Promise<number> {
  const target = resolveAdminTarget(parseReloadArgs(argv), RELOAD_USAGE);
  if (target.admin === null) return signalServer(target.pidFile, 'SIGHUP', out);
  const response = await adminRequest(target.admin, 'POST', '/reload');
  const body = await readBody(response);
  if (response.statusCode !== 200 && response.statusCode !== 422) {
    throw new EbbError(
      'ADMIN_FAILED',
      `POST /reload failed: ${response.statusCode} ${body.trim()}`,
    );
  }
  const outcome = JSON.parse(body) as ReloadOutcome;
  if (outcome.kind === 'rejected') {
    out.write('reload refused; the running configuration is unchanged:\n');
    for (const problem of outcome.problems) out.write(`  ${problem.replace(/\n/g, '\n  ')}\n`);
    return EXIT_STATUS.USAGE;
  }
  if (outcome.changes.length === 0) out.write('reloaded: nothing changed\n');
  else out.write(`reloaded:\n${outcome.changes.map((c) => `  ${c}\n`).join('')}`);
  return EXIT_STATUS.OK;
}

/** No admin listener: the signal, to the pid the pid file names if it is an ebb server. */
export async function signalServer(
  pidFile: string | null,
  signal: 'SIGHUP' | 'SIGUSR2',
  out: NodeJS.WriteStream,
): Promise<number> {
  const pid = pidFile === null ? null : await readPidFile(pidFile);
  if (pid === null || !isEbbServer(pid)) {
    throw new EbbError('NOT_RUNNING', `no ebb is running at pid file ${pidFile ?? ''}`);
  }
  process.kill(pid, signal);
  out.write(`sent ${signal} to ebb (pid ${pid}); its stderr tells the outcome\n`);
  return EXIT_STATUS.OK;
}
