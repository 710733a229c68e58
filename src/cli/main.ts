/**
 * `ebb`: parse the command, call the part, print, exit. The only place (with the signal
 * module) that touches `process` for argv, exit and the standard streams.
 */
import { readFileSync } from 'node:fs';
import { ERROR_CODES, EXIT_STATUS, exitStatusFor, isEbbError, type ErrorCode } from '../errors.js';
import { loadServeConfig } from '../config/load-serve-config.js';
import { describeServeFlags } from '../config/serve-flags.js';
import { asksForHelp } from '../config/command-line.js';
import { printable } from './format.js';
import { runServer } from '../server.js';
import { guardStandardStreams } from '../log/operator-output.js';
import { runStop, STOP_USAGE } from './stop-command.js';
import { runStatus, STATUS_USAGE } from './status-command.js';
import { runTop, TOP_USAGE } from './top-command.js';
import { CHECK_USAGE, runCheck } from './check-command.js';
import { RELOAD_USAGE, runReload } from './reload-command.js';
import { runUpgrade, UPGRADE_USAGE } from './upgrade-command.js';
import type { ParentChannel } from '../lifecycle/handover.js';
import { HANDOVER_ENV } from '../lifecycle/handover-protocol.js';

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

/** One row per command: `ebb --help` is printed from this table, and `ebb NAME` dispatched by it. */
interface Command {
  readonly name: string;
  readonly synopsis: string;
  readonly summary: string;
  /** The text of `ebb NAME --help` (also `-h`). */
  usage(): string;
  run(argv: readonly string[]): Promise<number>;
}

// Before anything is printed: no write to stdout or stderr may kill ebb (a closed terminal, a pipe).
const output = guardStandardStreams(process.stderr, process.stdout);

const COMMANDS: readonly Command[] = [
  {
    name: 'serve',
    synopsis: '[ROOT] [flags]',
    summary: 'serve ROOT (default: the current directory)',
    usage: () => `usage: ebb serve [ROOT] [flags]\n\n${describeServeFlags()}`,
    run: (argv) => serve(argv, process.cwd()),
  },
  {
    name: 'check',
    synopsis: '[ROOT] [flags]',
    summary: 'check a configuration without serving (nginx -t)',
    usage: () => CHECK_USAGE,
    run: (argv) => runCheck(argv, process.stdout, process.stderr),
  },
  {
    name: 'stop',
    synopsis: '[flags]',
    summary: 'drain a running server and follow it until it exits',
    usage: () => STOP_USAGE,
    run: (argv) => runStop(argv, process.stdout),
  },
  {
    name: 'status',
    synopsis: '[--json]',
    summary: 'one snapshot: state, counts, forecast, connections',
    usage: () => STATUS_USAGE,
    run: (argv) => runStatus(argv, process.stdout),
  },
  {
    name: 'reload',
    synopsis: '[flags]',
    summary: 'apply the configuration again, all of it or nothing',
    usage: () => RELOAD_USAGE,
    run: (argv) => runReload(argv, process.stdout),
  },
  {
    name: 'upgrade',
    synopsis: '[flags]',
    summary: 'start the code now on disk, hand it the sockets, drain this one',
    usage: () => UPGRADE_USAGE,
    run: (argv) => runUpgrade(argv, process.stdout),
  },
  {
    name: 'top',
    synopsis: '',
    summary: 'live full-screen view of the connections (s: sort, q: quit)',
    usage: () => TOP_USAGE,
    run: (argv) => runTop(argv, { input: process.stdin, output: process.stdout }),
  },
];

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

function commandList(): string {
  const lines = [
    ...COMMANDS.map((c) => [`ebb ${c.name} ${c.synopsis}`.trimEnd(), c.summary] as const),
    ['ebb COMMAND -h, --help', 'the flags of one command'] as const,
    ['ebb --version', 'the version'] as const,
  ];
  const width = Math.max(...lines.map(([usage]) => usage.length));
  return lines.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`).join('\n');
}

function usage(): string {
  return `ebb ${VERSION}: a static file server for download mirrors that drains gracefully

usage:
${commandList()}

signals to a serving ebb:
  SIGINT, SIGQUIT   graceful drain: stop accepting, finish every download, exit
  SIGTERM           immediate stop: every connection closed now, each cut logged
  SIGHUP            reload the configuration (as ebb reload; a bad one changes nothing)
  SIGUSR1           reopen the access log (logrotate)
  SIGUSR2           zero-downtime upgrade (as ebb upgrade)

exit statuses of ebb serve (and of ebb stop, which returns the drain's):
  ${EXIT_STATUS.OK}   drained: every download finished
  ${EXIT_STATUS.DRAIN_CUT}   the drain deadline or an immediate stop cut at least one download

errors (exit status, code, meaning):
${errorTable()}
`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return EXIT_STATUS.OK;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT_STATUS.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`ebb: unknown command "${name}"\n\n${usage()}`);
    return EXIT_STATUS.USAGE;
  }
  if (asksForHelp(rest)) {
    process.stdout.write(`${command.usage()}\n`);
    return EXIT_STATUS.OK;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    if (isEbbError(error)) {
      // One neutraliser for every line printed: a message may carry what a server sent.
      process.stderr.write(`ebb: ${error.message.split('\n').map(printable).join('\n')}\n`);
      process.exit(exitStatusFor(error.code));
    }
    process.stderr.write(
      `ebb: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(EXIT_STATUS.FAILED);
  },
);
