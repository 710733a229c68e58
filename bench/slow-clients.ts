/**
 * Slow clients against one server: runs slow_clients.py, and measures the server's RSS over its
 * idle baseline and its CPU share while the connections are held. `duringHold` runs right after
 * every connection is open (the /status probe), before the CPU window starts.
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { spawnWithFdLimit, stopChild } from './children.js';
import { pinned } from './cpu-pinning.js';
import { cpuSeconds, rssBytes } from './proc-stats.js';
import { HOST } from './ports.js';

export interface SlowSettings {
  readonly count: number;
  readonly holdS: number;
  readonly rateBytesPerS: number;
  readonly rcvbufBytes: number;
  readonly fdLimit: number;
}

export interface SlowResult {
  readonly alive: number;
  readonly progressing: number;
  readonly connected: number;
  readonly rssBytes: number;
  readonly rssPerConnBytes: number;
  readonly cpuPercent: number;
  readonly connectS: number;
  readonly errors: Readonly<Record<string, number>>;
}

interface HeldLine {
  readonly event: 'held';
  readonly connected: number;
  readonly connect_s: number;
  readonly errors: Record<string, number>;
}
interface DoneLine {
  readonly event: 'done';
  readonly alive: number;
  readonly progressing: number;
  readonly errors: Record<string, number>;
}

const SCRIPT = fileURLToPath(new URL('../../bench/slow_clients.py', import.meta.url));
const RSS_SAMPLE_MS = 1000;

export async function measureSlowClients(
  serverPid: number,
  port: number,
  settings: SlowSettings,
  duringHold: () => Promise<void> = () => Promise.resolve(),
): Promise<SlowResult> {
  const idleRss = rssBytes(serverPid);
  const child = spawnWithFdLimit(
    pinned('client', [
      'python3',
      SCRIPT,
      ...['--host', HOST, '--port', String(port), '--path', '/big.bin'],
      ...['--count', String(settings.count), '--hold', String(settings.holdS)],
      ...['--rate', String(settings.rateBytesPerS), '--rcvbuf', String(settings.rcvbufBytes)],
    ]),
    settings.fdLimit,
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  let peakRss = idleRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssBytes(serverPid));
  }, RSS_SAMPLE_MS);
  try {
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const held = await nextJson<HeldLine>(lines, 'held', () => stderr);
    await duringHold();
    const cpuStart = cpuSeconds(serverPid);
    const startNs = process.hrtime.bigint();
    const done = await nextJson<DoneLine>(lines, 'done', () => stderr);
    const cpu = cpuSeconds(serverPid) - cpuStart;
    const elapsedS = Number(process.hrtime.bigint() - startNs) / 1e9;
    peakRss = Math.max(peakRss, rssBytes(serverPid));
    return {
      alive: done.alive,
      progressing: done.progressing,
      connected: held.connected,
      rssBytes: peakRss,
      rssPerConnBytes: (peakRss - idleRss) / settings.count,
      cpuPercent: (100 * cpu) / elapsedS,
      connectS: held.connect_s,
      errors: { ...held.errors, ...done.errors },
    };
  } finally {
    clearInterval(sampler);
    await stopChild(child);
  }
}

async function nextJson<T extends { event: string }>(
  lines: AsyncIterator<string>,
  event: T['event'],
  stderr: () => string,
): Promise<T> {
  for (let next = await lines.next(); next.done !== true; next = await lines.next()) {
    const parsed = JSON.parse(next.value) as T;
    if (parsed.event === event) return parsed;
  }
  throw new Error(`slow_clients.py ended before "${event}":\n${stderr()}`);
}
