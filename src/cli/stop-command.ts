/**
 * `ebb stop`: asks a server to drain (or to stop now), then follows it until it has exited.
 * Through the admin listener when there is one (progress and the drain's own exit status);
 * otherwise by signal to the pid in the pid file, once the pid file, its owner and the process's
 * start time show that pid is the ebb that wrote it. What the server sends is neutralised and
 * checked as it is parsed (server-data.ts).
 */
import { EbbError, EXIT_STATUS } from '../errors.js';
import { parseDurationMs } from '../config/duration.js';
import { parseCommandLine } from '../config/command-line.js';
import type { StatusSnapshot } from '../lifecycle/status.js';
import type { DrainSummary } from '../lifecycle/state.js';
import { renderDrainSummary } from '../lifecycle/drain-summary.js';
import {
  adminRequest,
  describeAdmin,
  readJsonLines,
  responseError,
  type AdminEndpoint,
} from './admin-client.js';
import { formatBytes, formatSeconds, printable } from './format.js';
import { isDrainSummary, isObject, isStatusSnapshot } from './server-data.js';
import { delayText } from './status-view.js';
import {
  ADMIN_TARGET_OPTIONS,
  ADMIN_TARGET_USAGE,
  lookUpTrusted,
  resolveAdminTarget,
} from './admin-target.js';

export const STOP_USAGE = `usage: ebb stop [--pid-file FILE | --admin ADDR [--admin-token-file FILE]] [--now] [--timeout D] [--no-wait]

  Asks a running ebb to drain gracefully (stop accepting, finish every download, exit) and
  follows it until it has exited, showing what is left.
${ADMIN_TARGET_USAGE}
  --now                    stop immediately (in-flight downloads are cut and logged)
  --timeout D              deadline for this drain (e.g. 30m); downloads left then are cut (needs the admin listener)
  --no-wait                ask and return at once
  Exit status: the drain's (0, or 3 if a download was cut) when followed through the admin
  listener; 4 no server is running (nothing was signalled); 5 permission denied.`;

interface StopOptions {
  readonly now: boolean;
  readonly timeout: string | null;
  readonly wait: boolean;
}

function parseStopArgs(argv: readonly string[]) {
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
  const timeout = values.timeout ?? null;
  if (timeout !== null && parseDurationMs(timeout) === undefined) {
    throw new EbbError('USAGE', `--timeout "${timeout}": expected a duration such as 30s, 5m, 2h`);
  }
  const options: StopOptions = { now: values.now, timeout, wait: !values['no-wait'] };
  return { values, options };
}

export async function runStop(argv: readonly string[], out: NodeJS.WriteStream): Promise<number> {
  const { values, options } = parseStopArgs(argv);
  const target = await resolveAdminTarget(values, 'stop');
  if (target.endpoint !== null) {
    try {
      return await stopThroughAdmin(target.endpoint, options, out);
    } catch (error) {
      if (!(error instanceof EbbError) || error.code !== 'NOT_RUNNING' || target.pidFile === null) {
        throw error;
      }
      out.write(
        `admin ${describeAdmin(target.endpoint.address)} does not answer; using the pid file\n`,
      );
    }
  }
  if (target.pidFile === null) throw new EbbError('NOT_RUNNING', 'no admin listener answers');
  return stopBySignal(target.pidFile, options, out);
}

async function stopThroughAdmin(
  endpoint: AdminEndpoint,
  options: StopOptions,
  out: NodeJS.WriteStream,
): Promise<number> {
  const query = new URLSearchParams();
  if (options.timeout !== null && !options.now) query.set('timeout', options.timeout);
  if (options.wait) query.set('watch', '1');
  const path = `${options.now ? '/stop' : '/drain'}${query.size > 0 ? `?${query}` : ''}`;
  const response = await adminRequest(endpoint, 'POST', path);
  if ((response.statusCode ?? 500) >= 400) throw await responseError(response, 'POST', path);
  if (!options.wait) {
    response.resume();
    out.write(options.now ? 'stop requested\n' : 'drain requested\n');
    return EXIT_STATUS.OK;
  }
  const progress = new ProgressLine(out);
  for await (const line of readJsonLines(response)) {
    const event = isObject(line) ? line : {};
    if (event.event === 'progress' && isStatusSnapshot(event.status)) progress.show(event.status);
    if (event.event === 'finished') {
      progress.done();
      if (!isDrainSummary(event.summary)) {
        throw new EbbError('ADMIN_FAILED', 'the server sent a malformed drain summary');
      }
      printSummary(event.summary, out);
      return exitStatusOf(event.summary);
    }
  }
  progress.done();
  throw new EbbError('ADMIN_FAILED', 'the server went away without reporting how its drain ended');
}

/** The drain's exit status as the server reported it: only a status ebb serve can exit with. */
function exitStatusOf(summary: DrainSummary): number {
  const status: unknown = summary.exitStatus;
  if (status === EXIT_STATUS.OK || status === EXIT_STATUS.DRAIN_CUT) return status;
  throw new EbbError(
    'ADMIN_FAILED',
    `the server reported an unknown exit status ${printable(String(status))}`,
  );
}

async function stopBySignal(
  pidFile: string,
  options: StopOptions,
  out: NodeJS.WriteStream,
): Promise<number> {
  const found = await lookUpTrusted(pidFile);
  if (found.kind === 'absent') throw new EbbError('NOT_RUNNING', `no ebb is running: ${found.why}`);
  if (found.kind === 'stale') {
    throw new EbbError(
      'NOT_RUNNING',
      `pid file ${pidFile} is stale: pid ${found.pid} is not a running ebb server (nothing was signalled); ${found.why}`,
    );
  }
  const { pid } = found;
  if (options.timeout !== null)
    out.write('--timeout needs the admin listener; draining without a deadline\n');
  const signal = options.now ? 'SIGTERM' : 'SIGINT';
  sendSignal(pid, signal);
  out.write(`sent ${signal} to ebb (pid ${pid})\n`);
  if (!options.wait) return EXIT_STATUS.OK;
  out.write('waiting for it to exit (progress needs the admin listener)\n');
  // A pid cannot be waited on from another process tree; check it four times a second.
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 250));
  out.write(`ebb (pid ${pid}) has exited\n`);
  return EXIT_STATUS.OK;
}

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new EbbError('NOT_RUNNING', `ebb (pid ${pid}) has just exited`);
    if (code === 'EPERM') {
      throw new EbbError(
        'PERMISSION_DENIED',
        `permission denied: you may not signal ebb (pid ${pid}); run ebb stop as its user or root`,
        { cause: error },
      );
    }
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * On a terminal, one line rewritten in place; otherwise a plain line every five seconds, and at
 * once when the drain delay's waiting changes (a health checker has seen enough 503s).
 */
class ProgressLine {
  private lastPlainMs = 0;
  private lastWaiting: number | null | undefined = undefined;
  constructor(private readonly out: NodeJS.WriteStream) {}

  show(status: StatusSnapshot): void {
    const text = describeProgress(status);
    const waiting = status.delay?.healthCheckersWaiting ?? null;
    if (this.out.isTTY) this.out.write(`\r\x1b[K${text}`);
    else if (Date.now() - this.lastPlainMs >= 5000 || waiting !== this.lastWaiting) {
      this.lastPlainMs = Date.now();
      this.out.write(`${text}\n`);
    }
    this.lastWaiting = waiting;
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\r\x1b[K');
  }
}

export function describeProgress(status: StatusSnapshot): string {
  const c = status.counters;
  const slowest = status.forecast.slowest;
  const rate = slowest === null ? '-' : `${formatBytes(slowest.rateBytesPerSec)}/s`;
  const delay = delayText(status);
  return (
    `${status.state}${delay === null ? '' : ` (${delay})`}: ${c.connections} connections, ${c.downloadsInFlight} downloads, ` +
    `${formatBytes(c.bytesLeft)} left, slowest ${rate}, last done in ${formatSeconds(status.forecast.secondsLeft)}`
  );
}

function printSummary(summary: DrainSummary, out: NodeJS.WriteStream): void {
  const { seconds, counts, cutLines } = renderDrainSummary(summary);
  out.write(`ebb exited after ${seconds} s: ${counts}\n`);
  for (const line of cutLines) out.write(`  ${line}\n`);
}
