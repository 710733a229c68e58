/** What the CLI takes from the admin API: strings neutralised at parse time, shapes checked. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDrainSummary, isStatusSnapshot, parseServerJson } from '../../../src/cli/server-data.js';

void test('parseServerJson neutralises every string, keys and nesting included', () => {
  const text = JSON.stringify({ a: '\x1b[2J', b: ['ok', { c: 'x\x07\x9b' }], n: 1 });
  assert.deepEqual(parseServerJson(text), { a: '?[2J', b: ['ok', { c: 'x??' }], n: 1 });
  assert.equal(parseServerJson('not json'), undefined);
});

const row = {
  id: 1,
  client: '127.0.0.1:5000',
  state: 'responding',
  path: '/a.iso',
  bytesAcked: 1,
  bytesDue: 2,
  rateBytesPerSec: 3,
  etaSeconds: null,
};
const snapshot = {
  pid: 1,
  version: '0.1.0',
  now: '2026-01-01T00:00:00Z',
  startedAt: '2026-01-01T00:00:00Z',
  state: 'serving',
  since: '2026-01-01T00:00:00Z',
  deadline: null,
  listeners: ['127.0.0.1:8080'],
  counters: {
    connections: 1,
    requestsTotal: 1,
    bodyBytesTotal: 1,
    downloadsInFlight: 1,
    bytesLeft: 1,
  },
  forecast: { lastCompletionAt: null, secondsLeft: null, unknown: 0, slowest: row },
  connections: [row],
};

const SNAPSHOTS: ReadonlyArray<readonly [string, unknown, boolean]> = [
  ['a snapshot', snapshot, true],
  ['no slowest', { ...snapshot, forecast: { ...snapshot.forecast, slowest: null } }, true],
  ['not an object', [snapshot], false],
  ['null', null, false],
  ['no counters', { ...snapshot, counters: undefined }, false],
  ['a listener that is not text', { ...snapshot, listeners: [1] }, false],
  ['a row with a numeric client', { ...snapshot, connections: [{ ...row, client: 5 }] }, false],
  ['a pid as text', { ...snapshot, pid: '1' }, false],
  [
    'a drain delay',
    { ...snapshot, delay: { until: snapshot.now, healthCheckersWaiting: 2, answersNeeded: 3 } },
    true,
  ],
  ['no drain delay', { ...snapshot, delay: null }, true],
  ['a drain delay without until', { ...snapshot, delay: { healthCheckersWaiting: 2 } }, false],
  [
    'a drain delay waiting for text',
    { ...snapshot, delay: { until: snapshot.now, healthCheckersWaiting: 'two' } },
    false,
  ],
];

for (const [what, value, ok] of SNAPSHOTS) {
  void test(`isStatusSnapshot: ${what} → ${ok}`, () => assert.equal(isStatusSnapshot(value), ok));
}

const summary = {
  durationMs: 1,
  exitStatus: 0,
  completed: { count: 1, bytes: 1 },
  cut: [{ client: 'c', path: '/p', reason: 'deadline', bytesSent: 1, bytesDue: 2 }],
};

const SUMMARIES: ReadonlyArray<readonly [string, unknown, boolean]> = [
  ['a summary', summary, true],
  ['no cuts', { ...summary, cut: [] }, true],
  ['cut not a list', { ...summary, cut: 'all' }, false],
  ['a cut without bytes', { ...summary, cut: [{ client: 'c', path: '/p', reason: 'x' }] }, false],
  ['no duration', { ...summary, durationMs: undefined }, false],
];

for (const [what, value, ok] of SUMMARIES) {
  void test(`isDrainSummary: ${what} → ${ok}`, () => assert.equal(isDrainSummary(value), ok));
}
