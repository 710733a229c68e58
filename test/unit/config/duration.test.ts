import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DURATION_MS, parseDurationMs } from '../../../src/config/duration.js';

const GOOD: ReadonlyArray<readonly [string, number]> = [
  ['500ms', 500],
  ['0ms', 0],
  ['0s', 0],
  ['30s', 30_000],
  ['1.5s', 1_500],
  ['5m', 300_000],
  ['2h', 7_200_000],
  ['1d', 86_400_000],
  ['0.5m', 30_000],
  ['360s', 360_000],
];

const BAD: readonly string[] = [
  '',
  '30',
  '5x',
  's',
  '-5s',
  '1.s',
  '.5s',
  '5 s',
  '5S',
  '1e3ms',
  ' 5s',
  '5s ',
  '1h30m',
];

for (const [text, ms] of GOOD) {
  void test(`parseDurationMs(${JSON.stringify(text)}) = ${ms}`, () => {
    assert.equal(parseDurationMs(text), ms);
  });
}

for (const text of BAD) {
  void test(`parseDurationMs(${JSON.stringify(text)}) refuses it`, () => {
    assert.equal(parseDurationMs(text), undefined);
  });
}

void test('the longest duration still fits a Node timer', () => {
  assert.ok(MAX_DURATION_MS <= 2 ** 31 - 1);
});
