/**
 * About once a second, while responses are in flight, asks the kernel how much each client
 * has acknowledged and updates progress, rate and delivery. Acknowledged, not written: the
 * first megabytes of a slow download land in the send buffer at once and must not look
 * delivered. Reading /proc/net/tcp costs ~10 ms per 1,000 sockets (the kernel walks its whole
 * table), so the interval stretches to keep sampling under MAX_CPU_SHARE of a core.
 */
import type { ConnectionPhase } from '../http/types.js';
import { CONNECTION_RATE, smoothRate } from './smooth-rate.js';
import { readSendQueues } from './tcp-queue.js';

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

export const SAMPLE_INTERVAL_MS = 1000;
const MAX_CPU_SHARE = 0.05;

/** How long a look at the status (a /status request, an events viewer) keeps sampling on. */
export const DEMAND_HOLD_MS = 10_000;

/**
 * Samples only while someone needs the figures: a drain is under way, a connection is
 * delivering its last reply, or the status was looked at recently. An unobserved busy server
 * pays nothing.
 */
export class ProgressSampler {
  private timer: NodeJS.Timeout | null = null;
  private sampling = false;
  private demandUntilMs = 0;
  private lastSampleMs = 0;
  private intervalMs = SAMPLE_INTERVAL_MS;
  private always = false;
  private stopped = true;

  constructor(
    private readonly registry: SampledConnections,
    /** Unacknowledged bytes per socket key (tests give a table instead of /proc). */
    private readonly readQueues: () => Promise<Map<string, number>> = readSendQueues,
  ) {}

  /** Someone is looking at progress: keep sampling for DEMAND_HOLD_MS. */
  demand(): void {
    this.demandUntilMs = Date.now() + DEMAND_HOLD_MS;
  }

  /**
   * For a status request: keeps sampling on, and samples now only if the last sample is older
   * than two intervals (the first look after a quiet spell). Reading /proc/net/tcp walks the
   * kernel's whole connection table, so a status request should not pay it each time.
   */
  async demandFresh(): Promise<void> {
    this.demand();
    if (Date.now() - this.lastSampleMs > 2 * this.intervalMs) await this.sample();
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
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.sample().finally(() => this.schedule());
    }, this.intervalMs).unref();
  }

  /** One sample now (also used by `/status` so a snapshot is current). */
  async sample(): Promise<void> {
    const counts = this.registry.phaseCounts;
    if (this.sampling || counts.responding + counts.delivering === 0) return;
    const wanted = this.always || counts.delivering > 0 || Date.now() < this.demandUntilMs;
    if (!wanted) return;
    this.sampling = true;
    const startedMs = Date.now();
    this.lastSampleMs = startedMs;
    try {
      const queues = await this.readQueues();
      const nowMs = Date.now();
      for (const entry of this.registry) {
        if (entry.phase === 'responding' || entry.phase === 'delivering') {
          updateEntry(entry, queues.get(entry.tcpKey), nowMs);
        }
      }
    } finally {
      this.sampling = false;
      const costMs = Date.now() - startedMs;
      this.intervalMs = Math.max(SAMPLE_INTERVAL_MS, costMs / MAX_CPU_SHARE);
    }
  }
}

function updateEntry(entry: SampledEntry, txQueue: number | undefined, nowMs: number): void {
  const connection = entry.connection;
  if (connection === null) return;
  const delivering = entry.phase === 'delivering';
  // After our FIN, tx_queue counts it as one byte until it is acknowledged.
  const unacked = txQueue === undefined ? 0 : Math.max(0, txQueue - (delivering ? 1 : 0));
  const socketAcked = connection.socketBytesInKernel - unacked;
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
