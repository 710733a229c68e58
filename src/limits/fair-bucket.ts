/**
 * A token bucket that hands out bytes in turns: each caller asks for the next chunk it would send
 * and gets at most one quantum; when the bucket is empty, callers wait in arrival order and are
 * served one quantum each as it refills. A connection asks again only after its last grant was
 * written, so under contention every connection gets one quantum per round: a fast client cannot
 * starve slow ones, and a slow one simply takes fewer turns. Cheap per chunk: arithmetic, and
 * one timer per bucket while anyone waits. Tokens may go below zero by one grant (the deficit is
 * paid before the next grant), so a grant never waits for a whole quantum to accumulate.
 */

export type Grant = (bytes: number) => void;

interface Waiter {
  readonly wantBytes: number;
  readonly grant: Grant;
}

/** Between the timer slack of a loaded machine and a burst a link would notice. */
const BURST_MS = 50;

export class FairBucket {
  private tokens: number;
  private refilledAtMs = Date.now();
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | null = null;
  private lifted = false;

  constructor(
    private rateBytesPerSec: number,
    private quantumBytes: number,
  ) {
    this.tokens = this.burstBytes;
  }

  private get burstBytes(): number {
    return Math.max(this.quantumBytes, (this.rateBytesPerSec * BURST_MS) / 1000);
  }

  get waiting(): number {
    return this.waiters.size;
  }

  /**
   * Calls `grant` with 1..min(wantBytes, quantum) bytes, now or when the caller's turn comes;
   * returns the cancel function (the caller went away while waiting).
   */
  acquire(wantBytes: number, grant: Grant): () => void {
    if (this.lifted) {
      grant(wantBytes);
      return noop;
    }
    this.refill();
    if (this.waiters.size === 0 && this.tokens > 0) {
      grant(this.take(wantBytes));
      return noop;
    }
    const waiter: Waiter = { wantBytes, grant };
    this.waiters.add(waiter);
    this.schedule();
    return () => this.waiters.delete(waiter);
  }

  /** Bytes granted but not sent (the next bucket granted fewer): back into the bucket. */
  refund(bytes: number): void {
    this.tokens = Math.min(this.burstBytes, this.tokens + bytes);
  }

  /**
   * A reload's new rate (and the quantum that goes with it): tokens earned so far count at the
   * old rate, later ones at the new; a waiter's timer is set again for the new rate.
   */
  setRate(rateBytesPerSec: number, quantumBytes: number): void {
    this.refill();
    this.rateBytesPerSec = rateBytesPerSec;
    this.quantumBytes = quantumBytes;
    this.tokens = Math.min(this.burstBytes, this.tokens);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.schedule();
  }

  /** No limit from now on (a drain with limits lifted): every waiter is served at once. */
  lift(): void {
    this.lifted = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter.grant(waiter.wantBytes);
  }

  private take(wantBytes: number): number {
    const bytes = Math.max(1, Math.min(wantBytes, this.quantumBytes));
    this.tokens -= bytes;
    return bytes;
  }

  private refill(): void {
    const nowMs = Date.now();
    const earned = ((nowMs - this.refilledAtMs) * this.rateBytesPerSec) / 1000;
    this.tokens = Math.min(this.burstBytes, this.tokens + earned);
    this.refilledAtMs = nowMs;
  }

  private schedule(): void {
    if (this.timer !== null || this.waiters.size === 0) return;
    const waitMs = this.tokens > 0 ? 0 : ((1 - this.tokens) * 1000) / this.rateBytesPerSec;
    this.timer = setTimeout(this.serve, Math.max(1, Math.ceil(waitMs)));
  }

  private readonly serve = (): void => {
    this.timer = null;
    this.refill();
    while (this.tokens > 0) {
      const first = this.waiters.values().next();
      if (first.done === true) break;
      this.waiters.delete(first.value);
      first.value.grant(this.take(first.value.wantBytes));
    }
    this.schedule();
  };
}

function noop(): void {}

/**
 * The quantum of a bucket: small against the rate so that turns stay fine-grained between many
 * connections (16 KiB at 12.5 MB/s is 1.3 ms of the link), larger at high rates so that the
 * grants per second stay few.
 */
export function quantumFor(rateBytesPerSec: number): number {
  return Math.min(256 * 1024, Math.max(8 * 1024, Math.round(rateBytesPerSec / 1024)));
}
