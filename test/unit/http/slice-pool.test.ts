import assert from 'node:assert/strict';
import test from 'node:test';
import {
  EARLY_BYTES,
  MAX_BURST_BYTES,
  nextBurstBytes,
  sliceBytesFor,
  type Pace,
} from '../../../src/http/send-body.js';
import {
  borrowSlices,
  bytesOf,
  endLoan,
  lendableBytes,
  awaitReadTurn,
  endReadTurn,
  leaveReadQueue,
  lentSliceBytes,
  recycleSlice,
  SLICE_BYTES,
  SLOW_SLICE_BYTES,
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

test('a slow client gets small slices, and so does one not proved fast past its early bytes', () => {
  const cases: Array<[Pace, number, number]> = [
    ['probing', 0, SLICE_BYTES],
    ['probing', EARLY_BYTES - 1, SLICE_BYTES],
    ['probing', EARLY_BYTES, SLOW_SLICE_BYTES],
    ['slow', 0, SLOW_SLICE_BYTES],
    ['slow', 2 ** 40, SLOW_SLICE_BYTES],
    ['fast', 0, SLICE_BYTES],
    ['fast', 2 ** 40, SLICE_BYTES],
  ];
  for (const [pace, sent, sliceBytes] of cases) {
    assert.equal(sliceBytesFor(pace, sent), sliceBytes, `${pace} after ${sent} bytes`);
  }
});

test('slices hold exactly the bytes asked, the last one cut; loans are counted and ended', () => {
  for (const size of [SLICE_BYTES, SLOW_SLICE_BYTES]) {
    const before = lentSliceBytes();
    const slices = borrowSlices(2 * size + 100, size);
    assert.deepEqual(
      slices.map((slice) => slice.length),
      [size, size, 100],
    );
    assert.equal(bytesOf(slices), 2 * size + 100);
    assert.equal(lentSliceBytes(), before + 3 * size);
    for (const slice of slices) {
      endLoan(slice);
      recycleSlice(slice);
    }
    assert.equal(lentSliceBytes(), before);
    // A recycled cut slice comes back whole, and in its own size.
    const again = borrowSlices(3 * size, size);
    assert.deepEqual(
      again.map((slice) => slice.length),
      [size, size, size],
    );
    for (const slice of again) endLoan(slice);
  }
});

test('many reads at once are held to one slice each once the lent bound is reached', () => {
  assert.equal(lendableBytes(64 * 1024), 64 * 1024);
  const held = borrowSlices(100 * SLICE_BYTES, SLICE_BYTES);
  assert.equal(lendableBytes(64 * 1024), SLICE_BYTES);
  for (const slice of held) endLoan(slice);
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
