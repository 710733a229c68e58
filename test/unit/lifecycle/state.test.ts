import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainDeadline, drainExitStatus, formatBytes } from '../../../src/lifecycle/state.js';
import { EXIT_STATUS } from '../../../src/errors.js';
import {
  chunkBytesFor,
  nextPace,
  MAX_CHUNK_BYTES,
  MIN_CHUNK_BYTES,
} from '../../../src/http/send-body.js';

test('a drain deadline is the earliest of the configured timeout, the requested one and the current one', () => {
  const cases: Array<[number | null, number | null, number | null, number | null]> = [
    [null, null, null, null],
    [60_000, null, null, 1_060_000],
    [null, 30_000, null, 1_030_000],
    [60_000, 30_000, null, 1_030_000],
    [60_000, 30_000, 1_010_000, 1_010_000],
    [null, 120_000, 1_010_000, 1_010_000],
  ];
  for (const [configured, requested, current, expected] of cases) {
    assert.equal(drainDeadline(1_000_000, configured, requested, current), expected);
  }
});

test('only deadline and immediate-stop cuts make a drain exit 3', () => {
  const cut = (reason: string) => ({ client: 'c', path: '/p', bytesSent: 1, bytesDue: 2, reason });
  assert.equal(drainExitStatus([]), EXIT_STATUS.OK);
  assert.equal(drainExitStatus([cut('timeout')]), EXIT_STATUS.OK);
  assert.equal(drainExitStatus([cut('timeout'), cut('deadline')]), EXIT_STATUS.DRAIN_CUT);
  assert.equal(drainExitStatus([cut('stopped')]), EXIT_STATUS.DRAIN_CUT);
});

test('bytes read as binary units', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
});

test('the body pace: small reads until a client proves fast, small again once a write waits', () => {
  assert.equal(chunkBytesFor('probing'), MIN_CHUNK_BYTES);
  // A send buffer swallowing megabytes at once is not proof of a fast client...
  assert.equal(nextPace('probing', 0, 3 * 1024 * 1024), 'probing');
  // ...more than any send buffer can hold within the window is.
  assert.equal(nextPace('probing', 0, 9 * 1024 * 1024), 'fast');
  assert.equal(chunkBytesFor('fast'), MAX_CHUNK_BYTES);
  assert.equal(nextPace('fast', 200, 9 * 1024 * 1024), 'slow');
  assert.equal(nextPace('slow', 0, 1024), 'slow');
  assert.equal(chunkBytesFor('slow'), MIN_CHUNK_BYTES);
});
