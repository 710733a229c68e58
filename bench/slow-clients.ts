/**
 * Slow clients against one server: runs slow_clients.py, and measures the server's RSS over its
 * idle baseline, its CPU share while the connections are held, and its CPU seconds per GiB the
 * clients read: over the ramp (from the first connect until RAMP_S after the last, while the
 * kernel send buffers fill) and over the steady state after it, from the script's per-second
 * ticks. The CPU figures end PROBE_LEAD_S before the hold does, for every server, and there
 * `lateInHold` (ebb's /status probe) runs: it is timed on a server that has settled, not one
 * still filling ten thousand send buffers, and its own CPU is not counted as the clients'.
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
/**
 * The probe starts this long before the hold ends (20 GETs take a few seconds at 10,000), or a
 * quarter of a shorter hold before (--quick), so that some steady state comes before it.
 */
export const PROBE_LEAD_S = 10;

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

  /** The first sample at or after `atS`, or the last one once the script is done. */
  sampleFrom(atS: number): Sample | undefined {
    return (
      this.samples.find((sample) => sample.atS >= atS) ??
      (this.done ? this.samples.at(-1) : undefined)
    );
  }

  /**
   * Ramp: start until the ramp's end; steady: from there to `end`, where the probe starts.
   */
  windows(
    heldAtS: number,
    holdS: number,
    end: Sample,
  ): { ramp: DeliveryWindow; steady: DeliveryWindow } {
    const first = this.samples[0];
    const last = end;
    if (first === undefined || last === undefined) throw new Error('slow_clients.py sent no ticks');
    const rampEndS = Math.min(heldAtS + rampSeconds(holdS), last.atS);
    const rampEnd = this.samples.find((sample) => sample.atS >= rampEndS) ?? last;
    return { ramp: windowBetween(first, rampEnd), steady: windowBetween(rampEnd, last) };
  }
}

function rampSeconds(holdS: number): number {
  return Math.min(RAMP_AFTER_CONNECT_S, holdS / 2);
}

/** When the probe starts, seconds after the first connect: late in the steady state. */
function probeAtS(heldAtS: number, holdS: number): number {
  return heldAtS + Math.max(rampSeconds(holdS), holdS - Math.min(PROBE_LEAD_S, holdS / 4));
}

export async function measureSlowClients(
  serverPid: number,
  port: number,
  settings: SlowSettings,
  lateInHold: (() => Promise<void>) | null = null,
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
    const cpuStart = cpuSeconds(serverPid);
    const startNs = process.hrtime.bigint();
    // Every server's figures end at the same point of its hold, probed or not.
    const probeAt = probeAtS(held.connect_s, settings.holdS);
    const end = await timeline.until(() => timeline.sampleFrom(probeAt), ended);
    const cpu = cpuSeconds(serverPid) - cpuStart;
    const elapsedS = Number(process.hrtime.bigint() - startNs) / 1e9;
    peakRss = Math.max(peakRss, rssBytes(serverPid));
    if (lateInHold !== null) await lateInHold();
    const done = await timeline.until(() => timeline.done, ended);
    peakRss = Math.max(peakRss, rssBytes(serverPid));
    return {
      alive: done.alive,
      progressing: done.progressing,
      connected: held.connected,
      rssBytes: peakRss,
      rssPerConnBytes: (peakRss - idleRss) / settings.count,
      cpuPercent: (100 * cpu) / elapsedS,
      ...timeline.windows(held.connect_s, settings.holdS, end),
      connectS: held.connect_s,
      errors: { ...held.errors, ...done.errors },
    };
  } finally {
    clearInterval(sampler);
    await stopChild(child);
  }
}
