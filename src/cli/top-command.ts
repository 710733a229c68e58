/**
 * `ebb top`: a live full-screen table of a running server's connections, like tcptrack. It
 * follows the admin listener's event stream (one frame per server tick, no polling), draws on
 * the alternate screen, and puts the terminal back however it ends.
 */
import type { IncomingMessage } from 'node:http';
import { EbbError, EXIT_STATUS } from '../errors.js';
import { parseCommandLine } from '../config/command-line.js';
import type { FeedStatus } from '../admin/snapshot-feed.js';
import type { DrainSummary } from '../lifecycle/state.js';
import { renderDrainSummary } from '../lifecycle/drain-summary.js';
import { adminRequest, describeAdmin, responseError } from './admin-client.js';
import {
  ADMIN_TARGET_OPTIONS,
  ADMIN_TARGET_USAGE,
  requireAdmin,
  resolveAdminTarget,
} from './admin-target.js';
import { readServerEvents } from './server-events.js';
import { isDrainSummary, isObject, isStatusSnapshot, parseServerJson } from './server-data.js';
import { renderTopScreen, type TopView } from './top-screen.js';
import type { RowOrder } from './status-view.js';

export const TOP_USAGE = `usage: ebb top [--pid-file FILE | --admin ADDR]

  A live view of a running ebb's connections, refreshed each second: rate, progress and ETA
  of every download, and the drain line while a drain is under way.
${ADMIN_TARGET_USAGE}
  keys: s  sort by rate / by ETA      q  quit (also Ctrl-C)`;

const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';

type Ending =
  { readonly kind: 'quit' } | { readonly kind: 'gone'; readonly summary: DrainSummary | null };

export interface Terminal {
  readonly input: NodeJS.ReadStream;
  readonly output: NodeJS.WriteStream;
}

async function parseTopArgs(argv: readonly string[]) {
  const { values } = parseCommandLine({ command: 'top', options: ADMIN_TARGET_OPTIONS }, argv);
  return requireAdmin(await resolveAdminTarget(values, 'top'));
}

export async function runTop(argv: readonly string[], terminal: Terminal): Promise<number> {
  const admin = await parseTopArgs(argv);
  const { input, output } = terminal;
  if (!output.isTTY || !input.isTTY) {
    throw new EbbError('USAGE', 'ebb top needs a terminal; use ebb status (or --json) otherwise');
  }
  const response = await adminRequest(admin, 'GET', '/events');
  if (response.statusCode !== 200) throw await responseError(response, 'GET', '/events');
  let view: TopView = {
    where: describeAdmin(admin.address),
    status: null,
    throughputBytesPerSec: undefined,
    order: 'eta',
  };
  const draw = (): void => {
    const lines = renderTopScreen(view, output.columns, output.rows);
    output.write(`\x1b[H${lines.join('\x1b[K\r\n')}\x1b[K\x1b[J`);
  };
  const toggle = (order: RowOrder): RowOrder => (order === 'eta' ? 'rate' : 'eta');

  output.write(ENTER);
  input.setRawMode(true);
  let quit!: (ending: Ending) => void;
  const quitting = new Promise<Ending>((resolve) => (quit = resolve));
  const onKey = (key: Buffer): void => {
    const text = key.toString('latin1');
    if (text === 'q' || text === 'Q' || text === '\x03' || text === '\x1b') quit({ kind: 'quit' });
    else if (text === 's' || text === 'S') {
      view = { ...view, order: toggle(view.order) };
      draw();
    }
  };
  const onSignal = (): void => quit({ kind: 'quit' });
  input.on('data', onKey);
  input.resume();
  output.on('resize', draw);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  draw();
  let ending: Ending;
  try {
    const following = follow(response, (data) => {
      view = {
        ...view,
        status: data.status,
        throughputBytesPerSec: data.throughput?.bytesPerSec ?? view.throughputBytesPerSec,
      };
      draw();
    });
    ending = await Promise.race([quitting, following]);
  } finally {
    response.destroy();
    input.off('data', onKey);
    output.off('resize', draw);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    input.setRawMode(false);
    input.pause();
    output.write(LEAVE);
  }
  if (ending.kind === 'gone') output.write(`ebb top: ${describeGone(ending.summary)}\n`);
  return EXIT_STATUS.OK;
}

/** Calls `onStatus` per tick; resolves when the stream ends (the server went away). */
async function follow(
  response: IncomingMessage,
  onStatus: (data: FeedStatus) => void,
): Promise<Ending> {
  let summary: DrainSummary | null = null;
  try {
    for await (const event of readServerEvents(response)) {
      const data = parseServerJson(event.data);
      if (event.event === 'status' && isObject(data) && isStatusSnapshot(data.status)) {
        const point = data.throughput;
        const throughput =
          isObject(point) && typeof point.bytesPerSec === 'number' && typeof point.atMs === 'number'
            ? { atMs: point.atMs, bytesPerSec: point.bytesPerSec }
            : null;
        onStatus({ status: data.status, throughput });
      }
      if (event.event === 'finished' && isDrainSummary(data)) summary = data;
    }
  } catch {
    // a reset stream is a server gone like any other
  }
  return { kind: 'gone', summary };
}

function describeGone(summary: DrainSummary | null): string {
  if (summary === null) return 'the server has gone away';
  const { seconds, counts } = renderDrainSummary(summary);
  return `the server has exited: drain finished in ${seconds} s, ${counts}`;
}
