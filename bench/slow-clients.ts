/**
 * Slow clients against one server: runs slow_clients.py, and measures the server's RSS over its
 * idle baseline, its CPU share while the connections are held, and its CPU seconds per GiB the
 * clients read: over the ramp (from the first connect until RAMP_S after the last, while the
 * kernel send buffers fill) and over the steady state after it, from the script's per-second
 * ticks. `duringHold` runs right after every connection is open (the /status probe), before the
 * CPU window of the hold starts.
 */
import { once } from 'node:events';
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
  readonly ramp: DeliveryWindow;
  readonly steady: DeliveryWindow;
  readonly connectS: number;
  readonly errors: Readonly<Record<string, number>>;
}

/** Server CPU and bytes the clients read over part of the run. */
export interface DeliveryWindow {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly bytesDelivered: number;
}

/** CPU seconds per GiB delivered (NaN when nothing was: the figure is then not counted). */
export function cpuSecondsPerGiB(window: DeliveryWindow): number {
  return window.bytesDelivered === 0
    ? Number.NaN
    : window.cpuSeconds / (window.bytesDelivered / 2 ** 30);
}

interface Sample {
  readonly atS: number;
  readonly cpuSeconds: number;
  readonly bytesDelivered: number;
}

function windowBetween(from: Sample, to: Sample): DeliveryWindow {
  return {
    seconds: to.atS - from.atS,
    cpuSeconds: to.cpuSeconds - from.cpuSeconds,
    bytesDelivered: to.bytesDelivered - from.bytesDelivered,
  };
}

interface StartLine {
  readonly event: 'start';
}
interface TickLine {
  readonly event: 'tick';
  readonly t: number;
  readonly bytes: number;
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
/**
 * The ramp ends this long after the last client connected (its send buffer full by then), or
 * half-way through a shorter hold (--quick).
 */
export const RAMP_AFTER_CONNECT_S = 10;

type ScriptLine = StartLine | TickLine | HeldLine | DoneLine;

/** The script's lines as they come: each is stamped with the server's CPU when it arrives. */
class Timeline {
  readonly samples: Sample[] = [];
  held: HeldLine | undefined;
  done: DoneLine | undefined;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly serverPid: number) {}

  take(line: ScriptLine): void {
    const cpu = (): number => cpuSeconds(this.serverPid);
    switch (line.event) {
      case 'start':
        this.samples.push({ atS: 0, cpuSeconds: cpu(), bytesDelivered: 0 });
        break;
      case 'tick':
        this.samples.push({ atS: line.t, cpuSeconds: cpu(), bytesDelivered: line.bytes });
        break;
      case 'held':
        this.held = line;
        break;
      case 'done':
        this.done = line;
        break;
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  until<T>(what: () => T | undefined, ended: Promise<string>): Promise<T> {
    const found = what();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = what();
        if (value !== undefined) resolve(value);
        else this.waiters.push(check);
      };
      this.waiters.push(check);
      ended.then((stderr) => reject(new Error(`slow_clients.py ended early:\n${stderr}`)), reject);
    });
  }

  /** Ramp: start until RAMP_AFTER_CONNECT_S after the last connect; steady: from there to the end. */
  windows(heldAtS: number, holdS: number): { ramp: DeliveryWindow; steady: DeliveryWindow } {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (first === undefined || last === undefined) throw new Error('slow_clients.py sent no ticks');
    const rampS = Math.min(RAMP_AFTER_CONNECT_S, holdS / 2);
    const rampEnd = this.samples.find((sample) => sample.atS >= heldAtS + rampS) ?? last;
    return { ramp: windowBetween(first, rampEnd), steady: windowBetween(rampEnd, last) };
  }
}

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
  const ended = once(child, 'exit').then(() => stderr);
  const timeline = new Timeline(serverPid);
  createInterface({ input: child.stdout! }).on('line', (text) => {
    timeline.take(JSON.parse(text) as ScriptLine);
  });
  let peakRss = idleRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssBytes(serverPid));
  }, RSS_SAMPLE_MS);
  try {
    const held = await timeline.until(() => timeline.held, ended);
    await duringHold();
    const cpuStart = cpuSeconds(serverPid);
    const startNs = process.hrtime.bigint();
    const done = await timeline.until(() => timeline.done, ended);
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
      ...timeline.windows(held.connect_s, settings.holdS),
      connectS: held.connect_s,
      errors: { ...held.errors, ...done.errors },
    };
  } finally {
    clearInterval(sampler);
    await stopChild(child);
  }
}
