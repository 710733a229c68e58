/**
 * A transfer rate that a forecast can rest on. Acknowledgements arrive in bursts: a reader that
 * takes bytes slower than its link opens its receive window a few hundred KiB at a time, seconds
 * (for a 5 KiB/s reader, a minute) apart. A download's first second is slow start or a receive
 * buffer filling at once. A rate that follows each sample swings between bursts from "done in
 * 43 s" to "8 h 49 m" and back.
 *
 * So: an interval without a byte is held open, up to `holdMs`, and measured together with the
 * burst that ends it; only a longer silence counts as a stall. Nothing is claimed during a short
 * warm-up (the rate stays 0, which callers show as "no measurable rate yet"). The
 * measured intervals are averaged plainly until they span the time constant, then with an
 * exponentially weighted average of that time constant. Pure: the caller keeps the estimate and
 * the start of the open interval between samples.
 */

export interface RateSmoothing {
  /** Time constant of the exponential average: a change of rate shows 63 % after this long. */
  readonly timeConstantMs: number;
  /** From the start of the transfer, how long nothing is measured. */
  readonly warmUpMs: number;
  /** How long an interval without a byte waits for the burst that ends it. */
  readonly holdMs: number;
}

/** One connection's download: measured after its first 3 s, averaged over about a minute. */
export const CONNECTION_RATE: RateSmoothing = {
  timeConstantMs: 60_000,
  warmUpMs: 3_000,
  holdMs: 30_000,
};

/** The server's total throughput (the status page's card and chart): about the last 10 s. */
export const THROUGHPUT_RATE: RateSmoothing = {
  timeConstantMs: 10_000,
  warmUpMs: 2_000,
  holdMs: 5_000,
};

export interface RateSample {
  /** The estimate so far, bytes per second; 0 while there is none. */
  readonly bytesPerSec: number;
  /** Bytes transferred in the open interval. */
  readonly deltaBytes: number;
  /** Length of the open interval: since the last sample that closed one (or the start). */
  readonly intervalMs: number;
  /** Time from the start of the transfer to this sample. */
  readonly elapsedMs: number;
}

export interface RateEstimate {
  readonly bytesPerSec: number;
  /**
   * Whether this sample closed the interval: the next one is measured from this sample. If
   * not, the next is measured from the same start as this one (and its bytes added).
   */
  readonly closed: boolean;
}

/** The estimate after one more sample. */
export function smoothRate(sample: RateSample, smoothing: RateSmoothing): RateEstimate {
  const { bytesPerSec, intervalMs, elapsedMs } = sample;
  if (!(intervalMs > 0) || !Number.isFinite(elapsedMs)) return { bytesPerSec, closed: false };
  const deltaBytes = Math.max(0, sample.deltaBytes);
  // Held open during the warm-up too: the first interval measured then starts at the last
  // burst, not at the end of the warm-up, and is not mistaken for a faster one.
  if (deltaBytes === 0 && intervalMs < smoothing.holdMs) return { bytesPerSec, closed: false };
  const measuredMs = elapsedMs - smoothing.warmUpMs;
  if (measuredMs <= 0) return { bytesPerSec: 0, closed: true };
  const instant = (deltaBytes * 1000) / intervalMs;
  // The first measured interval (or one spanning all the measured time) is taken whole.
  if (intervalMs >= measuredMs) return { bytesPerSec: instant, closed: true };
  const weight =
    measuredMs <= smoothing.timeConstantMs
      ? intervalMs / measuredMs
      : 1 - Math.exp(-intervalMs / smoothing.timeConstantMs);
  return { bytesPerSec: bytesPerSec + weight * (instant - bytesPerSec), closed: true };
}
