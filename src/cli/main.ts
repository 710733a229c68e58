/**
 * `ebb`: parse the command, call the part, print, exit. The only place (with the signal
 * module) that touches `process` for argv, exit and the standard streams.
 */
import { readFileSync } from 'node:fs';
import { ERROR_CODES, EXIT_STATUS, exitStatusFor, isEbbError, type ErrorCode } from '../errors.js';
import { loadServeConfig } from '../config/load-serve-config.js';
import { describeServeFlags } from '../config/serve-flags.js';
import { runServer } from '../server.js';
import { guardStandardStreams } from '../log/operator-output.js';
import { runStop, STOP_USAGE } from './stop-command.js';
import { runStatus, STATUS_USAGE } from './status-command.js';
import { runTop, TOP_USAGE } from './top-command.js';
import { RELOAD_USAGE, runReload } from './reload-command.js';
import { runUpgrade, UPGRADE_USAGE } from './upgrade-command.js';
import type { ParentChannel } from '../lifecycle/handover.js';
import { HANDOVER_ENV } from '../lifecycle/handover-protocol.js';
import { CHECK_USAGE, runCheck } from './check-command.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

function errorTable(): string {
  return (Object.keys(ERROR_CODES) as ErrorCode[])
    .map(
      (code) =>
        `  ${String(exitStatusFor(code)).padEnd(3)} ${code.padEnd(18)} ${ERROR_CODES[code]}`,
    )
    .join('\n');
}

const USAGE = `ebb ${VERSION}: a static file server for download mirrors that drains gracefully

usage:
  ebb serve [ROOT] [flags]   serve ROOT (default: the current directory); ebb serve --help
  ebb check [flags]          check a configuration without serving (nginx -t); ebb check --help
  ebb stop [flags]           drain a running server and follow it until it exits; ebb stop --help
  ebb status [--json]        one snapshot: state, counts, forecast, connections; ebb status --help
  ebb reload [flags]         apply the configuration again, all of it or nothing; ebb reload --help
  ebb upgrade [flags]        start the code now on disk, hand it the sockets, drain this one; ebb upgrade --help
  ebb top                    live full-screen view of the connections (s: sort, q: quit); ebb top --help
  ebb --version

signals to a serving ebb:
  SIGINT, SIGQUIT   graceful drain: stop accepting, finish every download, exit
  SIGTERM           immediate stop: every connection closed now, each cut logged
  SIGHUP            reload the configuration (as ebb reload; a bad one changes nothing)
  SIGUSR1           reopen the access log (logrotate)
  SIGUSR2           zero-downtime upgrade (as ebb upgrade)

exit statuses of ebb serve:
  ${EXIT_STATUS.OK}   drained: every download finished
  ${EXIT_STATUS.DRAIN_CUT}   the drain deadline or an immediate stop cut at least one download
  ${EXIT_STATUS.USAGE}   bad command line or configuration (nothing was bound)

errors (exit status, code, meaning):
${errorTable()}
`;

// Before anything is printed: no write to stdout or stderr may kill ebb (a closed terminal, a pipe).
const output = guardStandardStreams(process.stderr, process.stdout);

/** The IPC channel to the ebb that started this one in an upgrade; null for a plain start. */
function parentChannel(): ParentChannel | null {
  if (process.env[HANDOVER_ENV] !== '1' || process.send === undefined) return null;
  delete process.env[HANDOVER_ENV];
  return {
    send: (message) =>
      new Promise((resolve, reject) => {
        if (process.send === undefined) reject(new Error('no IPC channel to the old ebb'));
        else process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
      }),
    onMessage: (listener) => process.on('message', listener),
    onGone: (listener) => process.once('disconnect', listener),
  };
}

async function serve(rest: readonly string[], cwd: string): Promise<number> {
  const channel = parentChannel();
  try {
    return await runServer(await loadServeConfig(rest, cwd), {
      version: VERSION,
      output,
      loadConfig: () => loadServeConfig(rest, cwd),
      commandLine: {
        execPath: process.execPath,
        args: [...process.execArgv, ...process.argv.slice(1)],
        cwd,
        env: process.env,
      },
      handover: channel,
    });
  } catch (error) {
    // Started by an upgrade: the old ebb reports why this one could not take over.
    const problem = error instanceof Error ? error.message : String(error);
    await channel?.send({ type: 'failed', problem }).catch(() => undefined);
    throw error;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const cwd = process.cwd();
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return EXIT_STATUS.OK;
    case '--version':
    case '-v':
      process.stdout.write(`${VERSION}\n`);
      return EXIT_STATUS.OK;
    case 'serve':
      if (rest.includes('--help')) {
        process.stdout.write(`usage: ebb serve [ROOT] [flags]\n\n${describeServeFlags()}\n`);
        return EXIT_STATUS.OK;
      }
      return serve(rest, cwd);
    case 'reload':
      if (rest.includes('--help')) {
        process.stdout.write(`${RELOAD_USAGE}\n`);
        return EXIT_STATUS.OK;
      }
      return runReload(rest, process.stdout);
    case 'upgrade':
      if (rest.includes('--help')) {
        process.stdout.write(`${UPGRADE_USAGE}\n`);
        return EXIT_STATUS.OK;
      }
      return runUpgrade(rest, process.stdout);
    case 'check':
      if (rest.includes('--help')) {
        process.stdout.write(`${CHECK_USAGE}\n`);
        return EXIT_STATUS.OK;
      }
      return runCheck(rest, process.stdout, process.stderr);
    case 'stop':
      if (rest.includes('--help')) {
        process.stdout.write(`${STOP_USAGE}\n`);
        return EXIT_STATUS.OK;
      }
      return runStop(rest, process.stdout);
    case 'status':
      if (rest.includes('--help')) {
        process.stdout.write(`${STATUS_USAGE}\n`);
        return EXIT_STATUS.OK;
      }
      return runStatus(rest, process.stdout);
    case 'top':
      if (rest.includes('--help')) {
        process.stdout.write(`${TOP_USAGE}\n`);
        return EXIT_STATUS.OK;
      }
      return runTop(rest, { input: process.stdin, output: process.stdout });
    default:
      process.stderr.write(`ebb: unknown command "${command}"\n\n${USAGE}`);
      return EXIT_STATUS.USAGE;
  }
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    if (isEbbError(error)) {
      process.stderr.write(`ebb: ${error.message}\n`);
      process.exit(exitStatusFor(error.code));
    }
    process.stderr.write(
      `ebb: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(EXIT_STATUS.FAILED);
  },
);
