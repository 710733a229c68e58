import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_WARNING_MESSAGE_CHARS, Warnings } from '../../../src/lifecycle/warnings.js';

test('one entry per code: counted every time, the latest message kept, first and last times', () => {
  const told: string[] = [];
  const warnings = new Warnings((line) => told.push(line), 10_000);
  warnings.record('ACCEPT_FAILED', 'refused 1', 1000);
  warnings.record('ACCESS_LOG_WRITE', 'ENOSPC', 1500);
  warnings.record('ACCEPT_FAILED', 'refused 2', 2000);
  warnings.record('ACCEPT_FAILED', 'refused 3', 3000);
  assert.deepEqual(warnings.list(), [
    { code: 'ACCEPT_FAILED', message: 'refused 3', count: 3, firstAtMs: 1000, lastAtMs: 3000 },
    { code: 'ACCESS_LOG_WRITE', message: 'ENOSPC', count: 1, firstAtMs: 1500, lastAtMs: 1500 },
  ]);
  assert.equal(warnings.count('ACCEPT_FAILED'), 3);
  assert.equal(warnings.count('STDERR_WRITE'), 0);
  // Told at once the first time; repeats wait for the interval (a timer, tested below).
  assert.deepEqual(told, ['refused 1', 'ENOSPC']);
  warnings.resolve('ACCEPT_FAILED', 'accepting again');
});

test('repeats are told once per interval, with their count', async () => {
  const told: string[] = [];
  const warnings = new Warnings((line) => told.push(line), 50);
  for (let i = 0; i < 100; i++) warnings.record('ACCEPT_FAILED', 'at the open-file limit');
  assert.deepEqual(told, ['at the open-file limit']);
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal(told.length, 2);
  assert.match(told[1] ?? '', /^at the open-file limit \(99 more times in the last 0 s\)$/);
});

test('resolving tells the operator and keeps the entry; a message is bounded', () => {
  const told: string[] = [];
  const warnings = new Warnings((line) => told.push(line));
  warnings.record('ACCESS_LOG_WRITE', 'x'.repeat(5000));
  warnings.record('ACCESS_LOG_WRITE', 'again');
  warnings.resolve('ACCESS_LOG_WRITE', 'written again');
  warnings.resolve('STDERR_WRITE', 'never failed');
  assert.equal(told.length, 2);
  assert.equal(told[0]?.length, MAX_WARNING_MESSAGE_CHARS);
  assert.equal(told[1], 'written again');
  assert.deepEqual(
    warnings.list().map((w) => [w.code, w.count, w.message]),
    [['ACCESS_LOG_WRITE', 2, 'written again']],
  );
});
