/**
 * About once a second, while responses are in flight, asks the kernel how much each client
 * has acknowledged and updates progress, rate and delivery. Acknowledged, not written: the
 * first megabytes of a slow download land in the send buffer at once and must not look
 * delivered. Only the sockets on the local ports of responses in flight are asked about
 * (tcp-queue.ts: `ss` filtered in the kernel, 3 to 5 ms of CPU per 1,000 sockets measured, two
 * thirds of it in `ss`); nobody looking, only the last replies are. Should samples still cost more than MAX_CPU_SHARE of a core (their CPU,
 * this process's and `ss`'s, not the wall clock: a busy machine's queue for a core costs
 * nothing), the interval stretches to keep them there: bounded at any connection count.
 */
import type { ConnectionPhase } from '../http/types.js';
import { readCpuMs } from './cpu-clock.js';
import { CONNECTION_RATE, smoothRate } from './smooth-rate.js';
import { localPortOfKey, peerPortOfKey } from './tcp-key.js';
import { TcpQueueReader } from './tcp-queue.js';
import type { SocketSelection } from './tcp-table.js';

/** What the sampler asks of a connection whose delivery it watches. */
export interface DeliveryTarget {
  /** Bytes of the socket the kernel has taken (written and no longer buffered by Node). */
  readonly socketBytesInKernel: number;
  /** Bytes of the socket that went out before the current reply's body. */
  readonly bodyStartSocketBytes: number;
  noteDeliveryProgress(): void;
  noteAllAcknowledged(): void;
}

/** A registry entry as the sampler sees it: it updates the progress fields in place. */
export interface SampledEntry {
  readonly tcpKey: string;
  readonly phase: ConnectionPhase;
  readonly connection: DeliveryTarget | null;
  readonly requestStartMs: number;
  readonly bytesSent: number;
  bytesAcked: number;
  rateBytesPerSec: number;
  /** The last sample that closed a rate interval (smooth-rate.ts holds silent ones open). */
  lastSampleMs: number;
}

export interface SampledConnections extends Iterable<SampledEntry> {
  readonly phaseCounts: Readonly<Record<ConnectionPhase, number>>;
}

/**
 * Unacknowledged bytes per tcpKey of the selected sockets (tcp-queue.ts); null when the kernel
 * cannot be asked (not Linux), where written bytes count as delivered.
 */
export type ReadSendQueues = (selection: SocketSelection) => Promise<Map<string, number> | null>;

export const SAMPLE_INTERVAL_MS = 1000;
const MAX_CPU_SHARE = 0.05;
/** Up to this many last replies are asked about by their peer ports; beyond, by ours alone. */
export const MAX_PEER_PORTS = 64;

/** How long a look at the status (a /status request, an events viewer) keeps sampling on. */
export const DEMAND_HOLD_MS = 10_000;

/**
 * Samples only while someone needs the figures: a drain is under way, a connection is
 * delivering its last reply, or the status was looked at recently. An unobserved busy server
 * pays nothing.
 */
export class ProgressSampler {
  private timer: NodeJS.Timeout | null = null;
  /** The sample being taken: every caller meanwhile waits on this one, none starts another. */
  private sampling: Promise<void> | null = null;
  private demandUntilMs = 0;
  /** When the last sample finished (its figures are what a look gets). */
  private lastSampledMs = 0;
  private intervalMs = SAMPLE_INTERVAL_MS;
  /** What a sample costs, averaged: CPU of this process and of `ss`, ms. */
  private costMs = 0;
  private always = false;
  private stopped = true;
  private samplesDone = 0;

  private readonly readQueues: ReadSendQueues;
  private readonly cpuMs: () => number | null;
  /** The kernel's reader when the sampler made its own (closed on stop). */
  private readonly reader: TcpQueueReader | null;

  constructor(
    private readonly registry: SampledConnections,
    /** Unacknowledged bytes per socket key (tests give a table instead of the kernel's). */
    readQueues?: ReadSendQueues,
    /** CPU used so far by this process and its children, ms (null: unknown, wall time used). */
    cpuMs?: () => number | null,
  ) {
    const reader = readQueues === undefined ? new TcpQueueReader() : null;
    this.reader = reader;
    this.cpuMs = cpuMs ?? (() => ebbAndReaderCpuMs(reader));
    this.readQueues = readQueues ?? ((selection) => reader?.readSendQueues(selection) ?? none());
  }

  /** How long between samples now: a second, or longer where samples cost more. */
  get sampleIntervalMs(): number {
    return this.intervalMs;
  }

  /** Samples finished so far: a new one may have changed any entry's progress fields. */
  get samplesTaken(): number {
    return this.samplesDone;
  }

  /** Someone is looking at progress: keep sampling for DEMAND_HOLD_MS. */
  demand(): void {
    this.demandUntilMs = Date.now() + DEMAND_HOLD_MS;
  }

  /**
   * For a status request: keeps sampling on, and samples now only if the last finished sample
   * is older than two intervals (the first look after a quiet spell); then a sample already
   * under way is waited for, not repeated. Otherwise the last sample answers: a look never
   * waits on the kernel while figures a second old are at hand, and many viewers at once
   * share one sample a second.
   */
  async demandFresh(): Promise<void> {
    this.demand();
    if (Date.now() - this.lastSampledMs > 2 * this.intervalMs) await this.sample();
  }

  /** From now on sample every second (a drain began). */
  sampleAlways(): void {
    this.always = true;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.reader?.close();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.sample().finally(() => this.schedule());
    }, this.intervalMs).unref();
  }

  /** One sample now, or the one under way (also used by `/status` so a snapshot is current). */
  sample(): Promise<void> {
    if (this.sampling !== null) return this.sampling;
    const counts = this.registry.phaseCounts;
    if (counts.responding + counts.delivering === 0) {
      // Nothing in flight: the `ss` shell and its three pipes go until something is.
      this.reader?.close();
      return Promise.resolve();
    }
    const looked = this.always || Date.now() < this.demandUntilMs;
    if (!looked && counts.delivering === 0) return Promise.resolve();
    // Nobody looking: only the last replies need the kernel's word (to close once delivered).
    const scope: SampleScope = looked ? 'in-flight' : 'delivering';
    this.sampling = this.sampleNow(scope).finally(() => {
      this.sampling = null;
    });
    return this.sampling;
  }

  private async sampleNow(scope: SampleScope): Promise<void> {
    const startedMs = Date.now();
    const cpuBeforeMs = this.cpuMs();
    try {
      const { selection, asked } = selectSockets(this.registry, scope);
      const queues = await this.readQueues(selection);
      const nowMs = Date.now();
      for (const { entry, socketBytesInKernel, bodyStartSocketBytes } of asked) {
        // Closed, or on to another reply, while the kernel was asked: its figures are stale.
        if (!isInScope(entry.phase, scope)) continue;
        if (entry.connection?.bodyStartSocketBytes !== bodyStartSocketBytes) continue;
        const txQueue = queues?.get(entry.tcpKey);
        // A dump of the kernel's table is not atomic: a socket can be skipped while others
        // come and go. Taken as "nothing unacknowledged", one skip would show the send buffer
        // as delivered, and acknowledged bytes never go back: so it waits for the next sample.
        if (txQueue === undefined && queues !== null && entry.tcpKey !== '') continue;
        updateEntry(entry, socketBytesInKernel, txQueue, nowMs);
      }
    } finally {
      this.samplesDone++;
      this.lastSampledMs = Date.now();
      const cpuAfterMs = this.cpuMs();
      const costMs =
        cpuBeforeMs === null || cpuAfterMs === null
          ? this.lastSampledMs - startedMs
          : Math.max(0, cpuAfterMs - cpuBeforeMs); // < 0: the ss shell started anew
      // /proc counts CPU in 10 ms ticks: an average over samples, not one sample, sets the pace.
      this.costMs += COST_WEIGHT * (costMs - this.costMs);
      this.intervalMs = Math.max(SAMPLE_INTERVAL_MS, this.costMs / MAX_CPU_SHARE);
    }
  }
}

/** Weight of the latest sample in the average cost. */
const COST_WEIGHT = 0.25;

/** Which entries a sample updates: every response in flight, or the last replies only. */
type SampleScope = 'in-flight' | 'delivering';

function isInScope(phase: ConnectionPhase, scope: SampleScope): boolean {
  return phase === 'delivering' || (scope === 'in-flight' && phase === 'responding');
}

/** This process's CPU and, outside it, the `ss` shell's (with the `ss` it ran). */
function ebbAndReaderCpuMs(reader: TcpQueueReader | null): number | null {
  const ownMs = readCpuMs();
  return ownMs === null ? null : ownMs + (reader?.outsideCpuMs() ?? 0);
}

function none(): Promise<null> {
  return Promise.resolve(null);
}

/**
 * An entry asked about, with what its socket had handed the kernel just before the kernel was
 * asked. Read after the answer instead, bytes written while `ss` ran (megabytes, while a fast
 * download fills its buffers) would count as acknowledged, and acknowledged bytes never go
 * back: taken before, the figure can only fall short of the kernel's, never run ahead of it.
 */
interface AskedEntry {
  readonly entry: SampledEntry;
  readonly socketBytesInKernel: number;
  readonly bodyStartSocketBytes: number;
}

/**
 * The sockets to ask the kernel about: by the local ports of the entries in scope (a handful,
 * whatever the load) and, for a few last replies, by their peer ports too.
 */
function selectSockets(
  registry: SampledConnections,
  scope: SampleScope,
): { selection: SocketSelection; asked: AskedEntry[] } {
  const localPorts = new Set<number>();
  let peerPorts: Set<number> | null = scope === 'delivering' ? new Set() : null;
  const asked: AskedEntry[] = [];
  for (const entry of registry) {
    if (!isInScope(entry.phase, scope) || entry.connection === null) continue;
    const { socketBytesInKernel, bodyStartSocketBytes } = entry.connection;
    asked.push({ entry, socketBytesInKernel, bodyStartSocketBytes });
    const port = localPortOfKey(entry.tcpKey);
    if (port !== null) localPorts.add(port);
    const peer = peerPorts === null ? null : peerPortOfKey(entry.tcpKey);
    if (peer !== null) peerPorts?.add(peer);
    if (peerPorts !== null && peerPorts.size > MAX_PEER_PORTS) peerPorts = null;
  }
  return { selection: { localPorts, peerPorts }, asked };
}

function updateEntry(
  entry: SampledEntry,
  socketBytesInKernel: number,
  txQueue: number | undefined,
  nowMs: number,
): void {
  const connection = entry.connection;
  if (connection === null) return;
  const delivering = entry.phase === 'delivering';
  // After our FIN, tx_queue counts it as one byte until it is acknowledged.
  const unacked = txQueue === undefined ? 0 : Math.max(0, txQueue - (delivering ? 1 : 0));
  const socketAcked = socketBytesInKernel - unacked;
  const acked = clamp(
    socketAcked - connection.bodyStartSocketBytes,
    entry.bytesAcked,
    entry.bytesSent,
  );
  const delta = acked - entry.bytesAcked;
  const elapsedMs = nowMs - entry.requestStartMs;
  const dtMs = nowMs - entry.lastSampleMs;
  const rate = smoothRate(
    { bytesPerSec: entry.rateBytesPerSec, deltaBytes: delta, intervalMs: dtMs, elapsedMs },
    CONNECTION_RATE,
  );
  entry.rateBytesPerSec = rate.bytesPerSec;
  entry.bytesAcked = acked;
  if (rate.closed) entry.lastSampleMs = nowMs;
  if (delta > 0) connection.noteDeliveryProgress();
  if (delivering && txQueue !== undefined && unacked === 0) connection.noteAllAcknowledged();
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
