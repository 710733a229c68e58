/** How `ebb stop`, `ebb status` and `ebb top` show a drain delay: table-driven over snapshots. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delayText, stateLine } from '../../../src/cli/status-view.js';
import { describeProgress } from '../../../src/cli/stop-command.js';
import type { DelayStatus, StatusSnapshot } from '../../../src/lifecycle/status.js';

const NOW = '2026-01-01T12:00:10.000Z';

function snapshot(state: StatusSnapshot['state'], delay: DelayStatus | null): StatusSnapshot {
  return {
    pid: 1,
    version: '0.1.0',
    now: NOW,
    startedAt: '2026-01-01T11:00:00.000Z',
    state,
    since: '2026-01-01T12:00:08.000Z',
    deadline: null,
    listeners: ['127.0.0.1:8080'],
    counters: {
      connections: 3,
      byState: { reading: 0, idle: 1, responding: 2, delivering: 0 },
      acceptedTotal: 3,
      requestsTotal: 3,
      bodyBytesTotal: 0,
      downloadsInFlight: 2,
      bytesLeft: 2048,
    },
    forecast: { lastCompletionAt: null, secondsLeft: null, slowest: null, unknown: 2 },
    connections: [],
    connectionsOmitted: 0,
    delay,
  };
}

const until = (seconds: number): string => new Date(Date.parse(NOW) + seconds * 1000).toISOString();

const CASES: ReadonlyArray<readonly [string, StatusSnapshot, string | null, RegExp]> = [
  ['serving', snapshot('serving', null), null, /^serving: 3 connections/],
  ['draining, no delay', snapshot('draining', null), null, /^draining: 3 connections/],
  [
    'a fixed delay',
    snapshot('draining', { until: until(3), healthCheckersWaiting: null, answersNeeded: null }),
    'listeners close in 3s',
    /^draining \(listeners close in 3s\): 3 connections/,
  ],
  [
    'auto, two checkers',
    snapshot('draining', { until: until(6), healthCheckersWaiting: 2, answersNeeded: 3 }),
    'waiting for 2 health checkers to see 503 (at most 6s more)',
    /^draining \(waiting for 2 health checkers to see 503 \(at most 6s more\)\): 3 connections/,
  ],
  [
    'auto, one checker, past its bound',
    snapshot('draining', { until: until(-1), healthCheckersWaiting: 1, answersNeeded: 3 }),
    'waiting for 1 health checker to see 503 (at most 0s more)',
    /^draining \(waiting for 1 health checker/,
  ],
];

for (const [name, status, text, progress] of CASES) {
  test(`drain delay shown: ${name}`, () => {
    assert.equal(delayText(status), text);
    assert.match(describeProgress(status), progress);
    if (text !== null) assert.ok(stateLine(status).endsWith(`, ${text}`), stateLine(status));
  });
}
