import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FairBucket, quantumFor } from '../../../src/limits/fair-bucket.js';

const QUANTA: ReadonlyArray<readonly [rate: number, quantum: number]> = [
  [1024, 8192],
  [4_000_000, 8192],
  [12_500_000, 12_207],
  [1_000_000_000, 262_144],
];

for (const [rate, quantum] of QUANTA) {
  void test(`quantumFor(${rate} B/s) = ${quantum}`, () => assert.equal(quantumFor(rate), quantum));
}

/** Clients that ask again as soon as a grant arrives (the test ticks the mocked clock). */
function share(wants: readonly number[], rate: number, quantum: number): number[] {
  return shareFrom(new FairBucket(rate, quantum), wants, quantum);
}

function shareFrom(bucket: FairBucket, wants: readonly number[], quantum: number): number[] {
  const got = wants.map(() => 0);
  const ask = (i: number): void => {
    bucket.acquire(wants[i] ?? 0, (bytes) => {
      assert.ok(bytes <= quantum && bytes <= (wants[i] ?? 0), `grant of ${bytes}`);
      got[i] = (got[i] ?? 0) + bytes;
      setTimeout(() => ask(i), 0);
    });
  };
  wants.forEach((_, i) => ask(i));
  return got;
}

const FAIRNESS: ReadonlyArray<readonly [label: string, wants: readonly number[]]> = [
  ['three equal clients', [8192, 8192, 8192]],
  ['a 512 KiB reader beside two 8 KiB readers', [524_288, 8192, 8192]],
  ['ten clients', Array.from({ length: 10 }, () => 8192)],
];

for (const [label, wants] of FAIRNESS) {
  void test(`FairBucket shares 80 KB/s fairly: ${label}`, (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const got = share(wants, 80_000, 8192);
    for (let ms = 0; ms < 10_000; ms += 1) t.mock.timers.tick(1);
    const total = got.reduce((sum, bytes) => sum + bytes, 0);
    // Ten seconds at 80 KB/s, plus the first burst of one quantum.
    assert.ok(Math.abs(total - 800_000) <= 2 * 8192, `total ${total}`);
    for (const bytes of got) {
      assert.ok(Math.abs(bytes - total / wants.length) <= 8192, `${bytes} of ${total}`);
    }
  });
}

void test('FairBucket: a cancelled waiter gets nothing; lift serves the waiters and all later asks at once', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const bucket = new FairBucket(1000, 1000);
  const grants: string[] = [];
  bucket.acquire(1000, (bytes) => grants.push(`a${bytes}`));
  const cancel = bucket.acquire(1000, (bytes) => grants.push(`b${bytes}`));
  bucket.acquire(1000, (bytes) => grants.push(`c${bytes}`));
  assert.equal(bucket.waiting, 2);
  cancel();
  bucket.lift();
  bucket.acquire(50_000, (bytes) => grants.push(`d${bytes}`));
  t.mock.timers.tick(5000);
  assert.deepEqual(grants, ['a1000', 'c1000', 'd50000']);
});

const RATE_CHANGES: ReadonlyArray<readonly [label: string, fromRate: number, toRate: number]> = [
  ['lowered 80 KB/s → 20 KB/s', 80_000, 20_000],
  ['raised 20 KB/s → 80 KB/s (a waiter timed for the old rate is served sooner)', 20_000, 80_000],
];

for (const [label, fromRate, toRate] of RATE_CHANGES) {
  void test(`FairBucket.setRate (a reload): ${label}, for the waiters too`, (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const bucket = new FairBucket(fromRate, 8192);
    const got = shareFrom(bucket, [8192, 8192], 8192);
    const sum = (): number => got.reduce((total, bytes) => total + bytes, 0);
    for (let ms = 0; ms < 5_000; ms += 1) t.mock.timers.tick(1);
    const before = sum();
    bucket.setRate(toRate, 8192);
    for (let ms = 0; ms < 5_000; ms += 1) t.mock.timers.tick(1);
    const after = sum() - before;
    assert.ok(Math.abs(after - 5 * toRate) <= 2 * 8192, `${after} bytes in 5 s at ${toRate} B/s`);
  });
}
