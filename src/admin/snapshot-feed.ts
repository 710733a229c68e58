/**
 * The live feed behind `GET /events`: once a second, while at least one viewer watches, one
 * snapshot is built and serialized once, and the same Server-Sent Events message goes to every
 * viewer. Nobody watching, no timer. The feed also keeps the last minutes of throughput so a
 * page opened mid-drain has a chart at once.
 */
import type { StatusSnapshot } from '../lifecycle/status.js';
import type { Registry } from '../lifecycle/registry.js';
import type { DrainSummary } from '../lifecycle/state.js';
import { smoothRate, THROUGHPUT_RATE } from '../progress/smooth-rate.js';
import { WatchedTicker } from './watched-ticker.js';

/** Rows per snapshot: the slowest few hundred; the rest are counted in `connectionsOmitted`. */
export const FEED_ROW_LIMIT = 300;
export const FEED_INTERVAL_MS = 1000;
/** Throughput points kept: five minutes at one a second. */
export const HISTORY_POINTS = 300;

export interface ThroughputPoint {
  /** Milliseconds since the epoch. */
  readonly atMs: number;
  readonly bytesPerSec: number;
}

/** The `status` event's data. */
export interface FeedStatus {
  readonly status: StatusSnapshot;
  /** Body bytes the clients acknowledged per second since the previous tick; null on the first. */
  readonly throughput: ThroughputPoint | null;
}

/** A viewer receives complete SSE messages; `end` is called once when the feed finishes. */
export interface FeedViewer {
  send(message: string): void;
  end(): void;
}

/**
 * Body bytes delivered so far: every byte written, less what in-flight responses still have
 * unacknowledged in the kernel. Counting written bytes alone would show a slow download's first
 * megabytes (swallowed by the send buffer) as one burst, then nothing for seconds.
 */
export function deliveredBytes(registry: Registry): number {
  let unacknowledged = 0;
  for (const entry of registry) {
    if (entry.phase === 'responding' || entry.phase === 'delivering') {
      unacknowledged += entry.bytesSent - entry.bytesAcked;
    }
  }
  return registry.bodyBytesTotal - unacknowledged;
}

export function sseMessage(event: string, data: unknown): string {
  // JSON.stringify escapes newlines, so the data is a single `data:` line.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class SnapshotFeed {
  private readonly ticker: WatchedTicker<FeedViewer>;
  private readonly history: ThroughputPoint[] = [];
  private lastMessage: string | null = null;
  /**
   * The smoothed rate and where its open interval began. Acknowledgements arrive in bursts
   * seconds apart (a slow reader's window opens in jumps; the sampler may stretch its
   * interval), so a rate over the last few ticks read 0 B/s between bursts.
   */
  private rate: {
    startMs: number;
    tickMs: number;
    openedMs: number;
    bytes: number;
    bytesPerSec: number;
  } | null = null;
  private finished: string | null = null;

  constructor(
    private readonly build: (limit: number) => StatusSnapshot,
    private readonly delivered: () => number,
    private readonly intervalMs = FEED_INTERVAL_MS,
  ) {
    this.ticker = new WatchedTicker(intervalMs, (viewers) => this.tick(viewers));
  }

  get viewerCount(): number {
    return this.ticker.size;
  }

  /** Adds a viewer: it gets the throughput history and a current snapshot at once. */
  subscribe(viewer: FeedViewer): () => void {
    if (this.finished !== null) {
      viewer.send(this.finished);
      viewer.end();
      return () => undefined;
    }
    viewer.send(sseMessage('history', this.history));
    // The first viewer gets a snapshot at once (a tick); later ones the last tick's.
    if (this.ticker.size > 0 && this.lastMessage !== null) viewer.send(this.lastMessage);
    const unsubscribe = this.ticker.subscribe(viewer, { tickNow: true });
    return () => {
      unsubscribe();
      if (this.ticker.size === 0) this.lastMessage = null;
    };
  }

  /** Tells every viewer how the drain ended, then ends their streams. */
  finish(summary: DrainSummary): void {
    this.finished = sseMessage('finished', summary);
    this.lastMessage = null;
    for (const viewer of this.ticker.drainWatchers()) {
      viewer.send(this.finished);
      viewer.end();
    }
  }

  private tick(viewers: ReadonlySet<FeedViewer>): void {
    const status = this.build(FEED_ROW_LIMIT);
    const data: FeedStatus = { status, throughput: this.throughput(status) };
    this.lastMessage = sseMessage('status', data);
    for (const viewer of viewers) viewer.send(this.lastMessage);
  }

  private throughput(status: StatusSnapshot): ThroughputPoint | null {
    const atMs = Date.parse(status.now);
    const bytes = this.delivered();
    const last = this.rate;
    // After a gap (nobody watched for a while) start afresh rather than average over it.
    if (last === null || atMs - last.tickMs > 3 * this.intervalMs) {
      this.rate = { startMs: atMs, tickMs: atMs, openedMs: atMs, bytes, bytesPerSec: 0 };
      return null;
    }
    if (atMs <= last.tickMs) return null;
    const elapsedMs = atMs - last.startMs;
    const rate = smoothRate(
      {
        bytesPerSec: last.bytesPerSec,
        deltaBytes: bytes - last.bytes,
        intervalMs: atMs - last.openedMs,
        elapsedMs,
      },
      THROUGHPUT_RATE,
    );
    this.rate = rate.closed
      ? { ...last, tickMs: atMs, openedMs: atMs, bytes, bytesPerSec: rate.bytesPerSec }
      : { ...last, tickMs: atMs };
    if (elapsedMs <= THROUGHPUT_RATE.warmUpMs) return null;
    const point = { atMs, bytesPerSec: Math.round(rate.bytesPerSec) };
    this.history.push(point);
    if (this.history.length > HISTORY_POINTS) this.history.shift();
    return point;
  }
}
