/** The rate a forecast rests on: steady through bursts, warm-up and stalls. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONNECTION_RATE,
  THROUGHPUT_RATE,
  smoothRate,
  type RateEstimate,
  type RateSmoothing,
} from '../../../src/progress/smooth-rate.js';

const KiB = 1024;

/** Total bytes acknowledged at `ms` after the start. */
type Transfer = (ms: number) => number;

/**
 * Feeds a transfer sampled every `stepMs` into smoothRate as the progress sampler does (the
 * open interval starts at the last sample that closed one); returns [ms, estimate] pairs.
 */
function estimates(
  transfer: Transfer,
  untilMs: number,
  smoothing: RateSmoothing = CONNECTION_RATE,
  stepMs = 1000,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let rate = 0;
  let openedMs = 0;
  let lastBytes = 0;
  for (let ms = stepMs; ms <= untilMs; ms += stepMs) {
    const bytes = transfer(ms);
    const next = smoothRate(
      {
        bytesPerSec: rate,
        deltaBytes: bytes - lastBytes,
        intervalMs: ms - openedMs,
        elapsedMs: ms,
      },
      smoothing,
    );
    rate = next.bytesPerSec;
    lastBytes = bytes;
    if (next.closed) openedMs = ms;
    out.push([ms, rate]);
  }
  return out;
}

function between(pairs: Array<[number, number]>, fromMs: number, toMs: number): number[] {
  return pairs.filter(([ms]) => ms >= fromMs && ms <= toMs).map(([, rate]) => rate);
}

const steady =
  (bytesPerSec: number): Transfer =>
  (ms) =>
    (bytesPerSec * ms) / 1000;
/** What a slow reader on a fat pipe looks like: its receive buffer fills in the first second. */
const bufferThenSteady =
  (bufferBytes: number, bytesPerSec: number): Transfer =>
  (ms) =>
    Math.min(bufferBytes, (bufferBytes * ms) / 500) + (bytesPerSec * ms) / 1000;
/** Acknowledgements in bursts: the window opens `burstBytes` at a time, `everyMs` apart. */
const bursts =
  (burstBytes: number, everyMs: number): Transfer =>
  (ms) =>
    Math.floor(ms / everyMs) * burstBytes;
/** Steady, then nothing for `stallMs` from `atMs`, then steady again. */
const stallAt =
  (bytesPerSec: number, atMs: number, stallMs: number): Transfer =>
  (ms) =>
    (bytesPerSec * (ms < atMs ? ms : ms < atMs + stallMs ? atMs : ms - stallMs)) / 1000;

test('smoothRate: no rate during the warm-up, then the measured average', () => {
  const cases: Array<{ name: string; smoothing: RateSmoothing; zeroUntilMs: number }> = [
    { name: 'connection', smoothing: CONNECTION_RATE, zeroUntilMs: CONNECTION_RATE.warmUpMs },
    { name: 'throughput', smoothing: THROUGHPUT_RATE, zeroUntilMs: THROUGHPUT_RATE.warmUpMs },
  ];
  for (const { name, smoothing, zeroUntilMs } of cases) {
    const pairs = estimates(steady(100 * KiB), 120_000, smoothing);
    for (const [ms, rate] of pairs) {
      if (ms <= zeroUntilMs) assert.equal(rate, 0, `${name} at ${ms} ms`);
      else assert.ok(Math.abs(rate - 100 * KiB) < 1e-6, `${name} at ${ms} ms: ${rate}`);
    }
  }
});

test('smoothRate: what a transfer does, and how far the estimate may stray from the truth', () => {
  const cases: Array<{
    name: string;
    transfer: Transfer;
    truth: number;
    fromMs: number;
    toMs: number;
    /** Largest allowed |estimate / truth - 1|. */
    tolerance: number;
  }> = [
    {
      name: 'a receive buffer filling at once does not pass for speed',
      transfer: bufferThenSteady(700 * KiB, 60 * KiB),
      truth: 60 * KiB,
      fromMs: 4_000,
      toMs: 600_000,
      tolerance: 0.02,
    },
    {
      name: 'acknowledgements in bursts of 300 KiB every 5 s read as 60 KiB/s from the first',
      transfer: bursts(300 * KiB, 5000),
      truth: 60 * KiB,
      fromMs: 5_000,
      toMs: 600_000,
      tolerance: 1e-9,
    },
    {
      name: 'a 2 KiB/s client on a modem line',
      transfer: steady(2 * KiB),
      truth: 2 * KiB,
      fromMs: 4_000,
      toMs: 3_600_000,
      tolerance: 1e-9,
    },
    {
      // Gaps longer than the hold count partly as stalls: a ripple of about a quarter.
      name: 'a 7.5 KiB/s reader whose window opens 300 KiB every 40 s',
      transfer: bursts(300 * KiB, 40_000),
      truth: 7.5 * KiB,
      fromMs: 120_000,
      toMs: 1_800_000,
      tolerance: 0.3,
    },
  ];
  for (const { name, transfer, truth, fromMs, toMs, tolerance } of cases) {
    const rates = between(estimates(transfer, toMs), fromMs, toMs);
    assert.ok(rates.length > 0, name);
    for (const rate of rates) {
      assert.ok(Math.abs(rate / truth - 1) <= tolerance, `${name}: ${Math.round(rate)} B/s`);
    }
  }
});

test('smoothRate: a one-minute stall moves an ETA by a small factor, not from 43 s to hours', () => {
  // 1 GiB at 100 KiB/s, stalled for a minute ten minutes in, then resuming.
  const totalBytes = 1024 * 1024 * KiB;
  const transfer = stallAt(100 * KiB, 600_000, 60_000);
  const pairs = estimates(transfer, 900_000);
  const etas = pairs
    .filter(([ms]) => ms >= 540_000)
    .map(([ms, rate]) => (totalBytes - transfer(ms)) / rate);
  const ratio = Math.max(...etas) / Math.min(...etas);
  assert.ok(ratio < 3, `the ETA moved by ${ratio.toFixed(2)}x over the stall`);
  // And the estimate comes back: five minutes after, within 10 % of the rate again.
  const [, after] = pairs.find(([ms]) => ms === 960_000 - 60_000) ?? [0, 0];
  assert.ok(Math.abs(after / (100 * KiB) - 1) < 0.1, `rate five minutes later: ${after}`);
});

test('smoothRate: the ETA of a slow reader holds between window openings (was 43 s to 8 h 49 m)', () => {
  // A 1 GiB download by readers slower than their link: the window opens every `gapMs`. The
  // old rate (a 10 s exponential average of each second) fell 400-fold in a 60 s gap.
  const totalBytes = 1024 * 1024 * KiB;
  const cases: Array<{ bytesPerSec: number; gapMs: number; maxSwing: number }> = [
    { bytesPerSec: 60 * KiB, gapMs: 5_000, maxSwing: 1.05 },
    { bytesPerSec: 15 * KiB, gapMs: 20_000, maxSwing: 1.05 },
    { bytesPerSec: 5 * KiB, gapMs: 60_000, maxSwing: 2 },
  ];
  for (const { bytesPerSec, gapMs, maxSwing } of cases) {
    const transfer = bursts((bytesPerSec * gapMs) / 1000, gapMs);
    const etas = estimates(transfer, 780_000)
      .filter(([ms]) => ms >= 600_000)
      .map(([ms, rate]) => (totalBytes - transfer(ms)) / rate);
    const swing = Math.max(...etas) / Math.min(...etas);
    assert.ok(swing < maxSwing, `${bytesPerSec} B/s every ${gapMs} ms: ETA swung ${swing}x`);
  }
});

test('smoothRate: an idle sampler, a first look late, a held interval, and bad input', () => {
  const s = CONNECTION_RATE;
  const cases: Array<{ name: string; got: RateEstimate; want: RateEstimate }> = [
    {
      name: 'first sample 100 s in: the average over the whole span',
      got: smoothRate(
        { bytesPerSec: 0, deltaBytes: 10_000_000, intervalMs: 100_000, elapsedMs: 100_000 },
        s,
      ),
      want: { bytesPerSec: 100_000, closed: true },
    },
    {
      name: 'during the warm-up: no rate, and the bytes so far do not count',
      got: smoothRate(
        { bytesPerSec: 0, deltaBytes: 700_000, intervalMs: 1000, elapsedMs: 1000 },
        s,
      ),
      want: { bytesPerSec: 0, closed: true },
    },
    {
      name: 'no byte for 10 s: the estimate stays, the interval stays open',
      got: smoothRate(
        { bytesPerSec: 5000, deltaBytes: 0, intervalMs: 10_000, elapsedMs: 50_000 },
        s,
      ),
      want: { bytesPerSec: 5000, closed: false },
    },
    {
      name: 'no byte for the whole hold: a stall, measured',
      got: smoothRate(
        { bytesPerSec: 5000, deltaBytes: 0, intervalMs: 30_000, elapsedMs: 43_000 },
        s,
      ),
      want: { bytesPerSec: 5000 - 5000 * (30_000 / 40_000), closed: true },
    },
    {
      name: 'no time passed: the estimate stays',
      got: smoothRate({ bytesPerSec: 5000, deltaBytes: 100, intervalMs: 0, elapsedMs: 50_000 }, s),
      want: { bytesPerSec: 5000, closed: false },
    },
    {
      name: 'time going backwards: the estimate stays',
      got: smoothRate({ bytesPerSec: 5000, deltaBytes: 100, intervalMs: -5, elapsedMs: 50_000 }, s),
      want: { bytesPerSec: 5000, closed: false },
    },
    {
      name: 'fewer bytes than before counts as none',
      got: smoothRate({ bytesPerSec: 9, deltaBytes: -100, intervalMs: 1000, elapsedMs: 10_000 }, s),
      want: { bytesPerSec: 9, closed: false },
    },
    {
      name: 'a sample right after the warm-up is taken whole',
      got: smoothRate({ bytesPerSec: 0, deltaBytes: 4000, intervalMs: 1000, elapsedMs: 3_500 }, s),
      want: { bytesPerSec: 4000, closed: true },
    },
    {
      name: 'NaN elapsed: the estimate stays',
      got: smoothRate({ bytesPerSec: 7, deltaBytes: 1, intervalMs: 1000, elapsedMs: NaN }, s),
      want: { bytesPerSec: 7, closed: false },
    },
  ];
  for (const { name, got, want } of cases) assert.deepEqual(got, want, name);
});
