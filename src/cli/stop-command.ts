/**
 * `ebb stop`: asks a server to drain (or to stop now), then follows it until it has exited.
 * Through the admin listener when there is one (progress and the drain's own exit status);
 * otherwise by signal to the pid in the pid file, after making sure that pid is an ebb server.
 */
import { EbbError, EXIT_STATUS } from '../errors.js';
import type { AdminAddress } from '../config/address.js';
import { parseDurationMs } from '../config/duration.js';
import { parseCommandLine } from '../config/command-line.js';
import { isEbbServer, readPidFile } from '../lifecycle/pid-file.js';
import type { StatusSnapshot } from '../lifecycle/status.js';
import type { DrainSummary } from '../lifecycle/state.js';
import { adminRequest, describeAdmin, readJsonLines } from './admin-client.js';
import { formatBytes, formatSeconds } from './format.js';
import { ADMIN_TARGET_OPTIONS, resolveAdminTarget } from './admin-target.js';

export const STOP_USAGE = `usage: ebb stop [--pid-file FILE | --admin unix:PATH|HOST:PORT] [--now] [--timeout D] [--no-wait]

  Asks a running ebb to drain gracefully (stop accepting, finish every download, exit) and
  follows it until it has exited, showing what is left.
  --now        stop immediately (in-flight downloads are cut and logged)
  --timeout D  deadline for this drain (e.g. 30m); downloads left then are cut (needs the admin listener)
  --no-wait    ask and return at once`;

interface StopOptions {
  readonly admin: AdminAddress | null;
  readonly pidFile: string | null;
  readonly now: boolean;
  readonly timeout: string | null;
  readonly wait: boolean;
}

function parseStopArgs(argv: readonly string[]): StopOptions {
  const { values } = parseCommandLine(
    {
      command: 'stop',
      options: {
        ...ADMIN_TARGET_OPTIONS,
        now: { type: 'boolean', default: false },
        timeout: { type: 'string' },
        'no-wait': { type: 'boolean', default: false },
      },
    },
    argv,
  );
  const { admin, pidFile } = resolveAdminTarget(values, STOP_USAGE);
  const timeout = values.timeout ?? null;
  if (timeout !== null && parseDurationMs(timeout) === undefined) {
    throw new EbbError('USAGE', `--timeout "${timeout}": expected a duration such as 30s, 5m, 2h`);
  }
  return { admin, pidFile, now: values.now, timeout, wait: !values['no-wait'] };
}

export async function runStop(argv: readonly string[], out: NodeJS.WriteStream): Promise<number> {
  const options = parseStopArgs(argv);
  if (options.admin !== null) {
    try {
      return await stopThroughAdmin(options.admin, options, out);
    } catch (error) {
      if (
        !(error instanceof EbbError) ||
        error.code !== 'NOT_RUNNING' ||
        options.pidFile === null
      ) {
        throw error;
      }
      out.write(`admin ${describeAdmin(options.admin)} does not answer; using the pid file\n`);
    }
  }
  if (options.pidFile === null) throw new EbbError('NOT_RUNNING', 'no admin listener answers');
  return stopBySignal(options.pidFile, options, out);
}

async function stopThroughAdmin(
  admin: AdminAddress,
  options: StopOptions,
  out: NodeJS.WriteStream,
): Promise<number> {
  const query = new URLSearchParams();
  if (options.timeout !== null && !options.now) query.set('timeout', options.timeout);
  if (options.wait) query.set('watch', '1');
  const path = `${options.now ? '/stop' : '/drain'}${query.size > 0 ? `?${query}` : ''}`;
  const response = await adminRequest(admin, 'POST', path);
  if (!options.wait) {
    response.resume();
    out.write(options.now ? 'stop requested\n' : 'drain requested\n');
    return EXIT_STATUS.OK;
  }
  const progress = new ProgressLine(out);
  for await (const line of readJsonLines(response)) {
    const event = line as { event: string; status?: StatusSnapshot; summary?: DrainSummary };
    if (event.event === 'progress' && event.status !== undefined) progress.show(event.status);
    if (event.event === 'finished' && event.summary !== undefined) {
      progress.done();
      printSummary(event.summary, out);
      return event.summary.exitStatus;
    }
  }
  progress.done();
  throw new EbbError('ADMIN_FAILED', 'the server went away without reporting how its drain ended');
}

async function stopBySignal(
  pidFile: string,
  options: StopOptions,
  out: NodeJS.WriteStream,
): Promise<number> {
  const pid = await readPidFile(pidFile);
  if (pid === null)
    throw new EbbError('NOT_RUNNING', `no ebb is running: pid file ${pidFile} is missing or empty`);
  if (!isEbbServer(pid)) {
    throw new EbbError(
      'NOT_RUNNING',
      `pid file ${pidFile} is stale: pid ${pid} is not a running ebb server (nothing was signalled)`,
    );
  }
  if (options.timeout !== null)
    out.write('--timeout needs the admin listener; draining without a deadline\n');
  const signal = options.now ? 'SIGTERM' : 'SIGINT';
  process.kill(pid, signal);
  out.write(`sent ${signal} to ebb (pid ${pid})\n`);
  if (!options.wait) return EXIT_STATUS.OK;
  out.write('waiting for it to exit (progress needs the admin listener)\n');
  // A pid cannot be waited on from another process tree; check it four times a second.
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 250));
  out.write(`ebb (pid ${pid}) has exited\n`);
  return EXIT_STATUS.OK;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** On a terminal, one line rewritten in place; otherwise a plain line every five seconds. */
class ProgressLine {
  private lastPlainMs = 0;
  constructor(private readonly out: NodeJS.WriteStream) {}

  show(status: StatusSnapshot): void {
    const text = describeProgress(status);
    if (this.out.isTTY) this.out.write(`\r\x1b[K${text}`);
    else if (Date.now() - this.lastPlainMs >= 5000) {
      this.lastPlainMs = Date.now();
      this.out.write(`${text}\n`);
    }
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\r\x1b[K');
  }
}

export function describeProgress(status: StatusSnapshot): string {
  const c = status.counters;
  const slowest = status.forecast.slowest;
  const rate = slowest === null ? '-' : `${formatBytes(slowest.rateBytesPerSec)}/s`;
  return (
    `${status.state}: ${c.connections} connections, ${c.downloadsInFlight} downloads, ` +
    `${formatBytes(c.bytesLeft)} left, slowest ${rate}, last done in ${formatSeconds(status.forecast.secondsLeft)}`
  );
}

function printSummary(summary: DrainSummary, out: NodeJS.WriteStream): void {
  out.write(
    `ebb exited after ${(summary.durationMs / 1000).toFixed(1)} s: ${summary.completed.count} downloads completed ` +
      `(${formatBytes(summary.completed.bytes)}), ${summary.cut.length} cut\n`,
  );
  for (const cut of summary.cut) {
    out.write(
      `  cut (${cut.reason}): ${cut.client} ${cut.path} ${cut.bytesSent} of ${cut.bytesDue} bytes\n`,
    );
  }
}
