/**
 * The live feed behind `GET /events`: once a second, while at least one viewer watches, one
 * snapshot is built and serialized once, and the same Server-Sent Events message goes to every
 * viewer. Nobody watching, no timer. The feed also keeps the last minutes of throughput so a
 * page opened mid-drain has a chart at once.
 */
import type { StatusSnapshot } from '../lifecycle/status.js';
import type { Registry } from '../lifecycle/registry.js';
import type { DrainSummary } from '../lifecycle/state.js';
import { WatchedTicker } from './watched-ticker.js';

/** Rows per snapshot: the slowest few hundred; the rest are counted in `connectionsOmitted`. */
export const FEED_ROW_LIMIT = 300;
export const FEED_INTERVAL_MS = 1000;
/** Throughput points kept: five minutes at one a second. */
export const HISTORY_POINTS = 300;
/**
 * Ticks the throughput is averaged over. Acknowledgements arrive in bursts (the progress
 * sampler runs on its own second, a client's receive window fills in jumps), so a one-tick
 * rate would flicker between zero and double.
 */
export const RATE_WINDOW_TICKS = 3;

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
  /** Delivered totals of the last few ticks: the rate is taken over RATE_WINDOW_TICKS. */
  private totals: Array<{ atMs: number; bytes: number }> = [];
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
    // After a gap (nobody watched for a while) start afresh rather than average over it.
    if (this.totals.length > 0 && atMs - (this.totals.at(-1)?.atMs ?? 0) > 3 * this.intervalMs) {
      this.totals = [];
    }
    const first = this.totals[0];
    this.totals.push({ atMs, bytes });
    if (this.totals.length > RATE_WINDOW_TICKS + 1) this.totals.shift();
    const last = first === undefined ? undefined : this.totals[0];
    if (last === undefined || atMs <= last.atMs) return null;
    const point = {
      atMs,
      bytesPerSec: Math.max(0, Math.round(((bytes - last.bytes) * 1000) / (atMs - last.atMs))),
    };
    this.history.push(point);
    if (this.history.length > HISTORY_POINTS) this.history.shift();
    return point;
  }
}
