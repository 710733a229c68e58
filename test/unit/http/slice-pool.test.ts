import assert from 'node:assert/strict';
import test from 'node:test';
import { MAX_BURST_BYTES, nextBurstBytes } from '../../../src/http/send-body.js';
import {
  borrowSlices,
  bytesOf,
  endLoan,
  lendableBytes,
  awaitReadTurn,
  endReadTurn,
  leaveReadQueue,
  lentSlices,
  recycleSlice,
  SLICE_BYTES,
} from '../../../src/http/slice-pool.js';

test('a burst the kernel took whole doubles the next read, up to the cap; one it did not, resets it', () => {
  const cases: Array<[number, boolean, number]> = [
    [SLICE_BYTES, true, 2 * SLICE_BYTES],
    [MAX_BURST_BYTES / 2, true, MAX_BURST_BYTES],
    [MAX_BURST_BYTES, true, MAX_BURST_BYTES],
    [MAX_BURST_BYTES, false, SLICE_BYTES],
    [SLICE_BYTES, false, SLICE_BYTES],
  ];
  for (const [burst, whole, next] of cases) assert.equal(nextBurstBytes(burst, whole), next);
});

test('slices hold exactly the bytes asked, the last one cut; loans are counted and ended', () => {
  const before = lentSlices();
  const slices = borrowSlices(2 * SLICE_BYTES + 100);
  assert.deepEqual(
    slices.map((slice) => slice.length),
    [SLICE_BYTES, SLICE_BYTES, 100],
  );
  assert.equal(bytesOf(slices), 2 * SLICE_BYTES + 100);
  assert.equal(lentSlices(), before + 3);
  endLoan(3);
  for (const slice of slices) recycleSlice(slice);
  assert.equal(lentSlices(), before);
  // A recycled cut slice comes back whole.
  const again = borrowSlices(SLICE_BYTES);
  assert.equal(again[0]?.length, SLICE_BYTES);
  endLoan(1);
});

test('many reads at once are held to one slice each once the lent bound is reached', () => {
  assert.equal(lendableBytes(64 * 1024), 64 * 1024);
  const held = borrowSlices(100 * SLICE_BYTES);
  assert.equal(lendableBytes(64 * 1024), SLICE_BYTES);
  endLoan(held.length);
  assert.equal(lendableBytes(64 * 1024), 64 * 1024);
});

test('slice reads take turns: past four at once the next waits, first come first served', () => {
  const started: string[] = [];
  for (let index = 0; index < 4; index++) awaitReadTurn(() => started.push(`r${index}`));
  assert.equal(started.length, 4);
  awaitReadTurn(() => started.push('late1'));
  const cancelled = () => started.push('cancelled');
  awaitReadTurn(cancelled);
  awaitReadTurn(() => started.push('late2'));
  assert.equal(started.length, 4);
  leaveReadQueue(cancelled);
  endReadTurn();
  assert.equal(started.at(-1), 'late1');
  endReadTurn();
  assert.equal(started.at(-1), 'late2');
  for (let index = 0; index < 4; index++) endReadTurn();
  // All turns are back: a new read starts at once.
  awaitReadTurn(() => started.push('fresh'));
  assert.equal(started.at(-1), 'fresh');
  endReadTurn();
  assert.ok(!started.includes('cancelled'));
});
