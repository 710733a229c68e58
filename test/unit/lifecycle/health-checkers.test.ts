/**
 * The health-checker tracker and the drain-delay plan over it, table-driven on a clock handed in:
 * who counts as a checker, its interval, its 503 answers, the bounds (64 kept, a minute unseen
 * forgotten), and how long `--drain-delay` keeps serving for each case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FORGET_AFTER_MS,
  HealthCheckers,
  MAX_CHECKERS,
  MAX_USER_AGENT_CHARS,
  type ReadinessPoll,
} from '../../../src/lifecycle/health-checkers.js';
import { MAX_AUTO_DELAY_MS, planDrainDelay } from '../../../src/lifecycle/drain-delay.js';
import type { DrainDelay } from '../../../src/config/values.js';

/** One poll at `atMs`: from `client` (User-Agent `ua`), answered 200 or 503. */
type Poll = readonly [atMs: number, client: string, ua: string, answer: 200 | 503];

interface Row {
  readonly client: string;
  readonly intervalMs: number | null;
  readonly notReadyAnswers: number;
}

const HAPROXY = 'haproxy';
const KUBE = 'kube-probe/1.31';

function track(polls: readonly Poll[]): HealthCheckers {
  const checkers = new HealthCheckers();
  for (const [atMs, client, userAgent, answer] of polls) {
    const poll: ReadinessPoll = { client, userAgent, ready: answer === 200 };
    checkers.record(poll, atMs);
  }
  return checkers;
}

function rows(checkers: HealthCheckers, nowMs: number): Row[] {
  return checkers.active(nowMs).map((c) => ({
    client: `${c.client} ${c.userAgent}`,
    intervalMs: c.intervalMs,
    notReadyAnswers: c.notReadyAnswers,
  }));
}

const every = (
  client: string,
  ua: string,
  fromMs: number,
  stepMs: number,
  count: number,
  answer: 200 | 503 = 200,
): Poll[] =>
  Array.from({ length: count }, (_, i) => [fromMs + i * stepMs, client, ua, answer] as const);

const TRACKER_CASES: ReadonlyArray<
  readonly [name: string, polls: readonly Poll[], nowMs: number, want: readonly Row[]]
> = [
  ['nobody polled', [], 0, []],
  ['one poll is a curl, not a checker', [[0, '10.0.0.1', 'curl/8', 200]], 10, []],
  [
    'two polls make a checker with their interval',
    every('10.0.0.1', HAPROXY, 0, 2000, 2),
    2500,
    [{ client: `10.0.0.1 ${HAPROXY}`, intervalMs: 2000, notReadyAnswers: 0 }],
  ],
  [
    'the interval is the last gap',
    [
      [0, '10.0.0.1', HAPROXY, 200],
      [5000, '10.0.0.1', HAPROXY, 200],
      [6000, '10.0.0.1', HAPROXY, 200],
    ],
    6000,
    [{ client: `10.0.0.1 ${HAPROXY}`, intervalMs: 1000, notReadyAnswers: 0 }],
  ],
  [
    'address and User-Agent tell checkers apart, oldest first',
    [
      ...every('10.0.0.1', HAPROXY, 0, 1000, 3),
      ...every('10.0.0.1', KUBE, 500, 10_000, 2),
      ...every('10.0.0.2', HAPROXY, 100, 1000, 2),
    ].sort((a, b) => a[0] - b[0]),
    10_500,
    [
      { client: `10.0.0.2 ${HAPROXY}`, intervalMs: 1000, notReadyAnswers: 0 },
      { client: `10.0.0.1 ${HAPROXY}`, intervalMs: 1000, notReadyAnswers: 0 },
      { client: `10.0.0.1 ${KUBE}`, intervalMs: 10_000, notReadyAnswers: 0 },
    ],
  ],
  [
    '503 answers are counted',
    [...every('10.0.0.1', HAPROXY, 0, 1000, 2), ...every('10.0.0.1', HAPROXY, 2000, 1000, 2, 503)],
    3000,
    [{ client: `10.0.0.1 ${HAPROXY}`, intervalMs: 1000, notReadyAnswers: 2 }],
  ],
  [
    'a checker unseen for a minute is forgotten',
    every('10.0.0.1', HAPROXY, 0, 1000, 3),
    2000 + FORGET_AFTER_MS,
    [],
  ],
  [
    'one seen just under a minute ago is kept',
    every('10.0.0.1', HAPROXY, 0, 1000, 3),
    2000 + FORGET_AFTER_MS - 1,
    [{ client: `10.0.0.1 ${HAPROXY}`, intervalMs: 1000, notReadyAnswers: 0 }],
  ],
  [
    'a checker back after a minute starts afresh',
    [
      ...every('10.0.0.1', HAPROXY, 0, 1000, 2, 503),
      [1000 + FORGET_AFTER_MS, '10.0.0.1', HAPROXY, 200],
    ],
    1000 + FORGET_AFTER_MS,
    [],
  ],
];

for (const [name, polls, nowMs, want] of TRACKER_CASES) {
  test(`health checkers: ${name}`, () => {
    assert.deepEqual(rows(track(polls), nowMs), want);
  });
}

test(`health checkers: at most ${MAX_CHECKERS} are kept, the least recently seen dropped`, () => {
  const polls: Poll[] = [];
  // 70 clients poll once: the 6 seen first are dropped. The 64 kept poll again: all checkers.
  for (let i = 0; i < MAX_CHECKERS + 6; i++) polls.push([i, `10.0.${i}.1`, HAPROXY, 200]);
  for (let i = 6; i < MAX_CHECKERS + 6; i++) polls.push([1000 + i, `10.0.${i}.1`, HAPROXY, 200]);
  assert.equal(rows(track(polls), 2000).length, MAX_CHECKERS);
  // One more client drops the least recently seen checker.
  polls.push([2000, '10.9.9.9', HAPROXY, 200]);
  const kept = rows(track(polls), 2000);
  assert.equal(kept.length, MAX_CHECKERS - 1);
  assert.equal(kept[0]?.client, `10.0.7.1 ${HAPROXY}`);
});

test('health checkers: a long User-Agent is kept cut, and the listeners hear of every poll', () => {
  const checkers = new HealthCheckers();
  let heard = 0;
  const unsubscribe = checkers.onPoll(() => heard++);
  const ua = 'x'.repeat(10_000);
  checkers.record({ client: '::1', userAgent: ua, ready: true }, 0);
  checkers.record({ client: '::1', userAgent: ua, ready: true }, 10);
  unsubscribe();
  checkers.record({ client: '::1', userAgent: ua, ready: true }, 20);
  assert.equal(heard, 2);
  assert.equal(checkers.active(20)[0]?.userAgent.length, MAX_USER_AGENT_CHARS);
});

const AUTO: DrainDelay = { kind: 'auto', answers: 3 };

const PLAN_CASES: ReadonlyArray<
  readonly [name: string, delay: DrainDelay, polls: readonly Poll[], nowMs: number, want: unknown]
> = [
  [
    'a fixed delay ignores the checkers',
    { kind: 'fixed', ms: 3000 },
    every('a', HAPROXY, 0, 100, 5),
    500,
    { kind: 'fixed', ms: 3000 },
  ],
  [
    '0s is no delay',
    { kind: 'fixed', ms: 0 },
    every('a', HAPROXY, 0, 100, 5),
    500,
    { kind: 'none' },
  ],
  ['auto with no checker: no delay', AUTO, [[0, 'a', 'curl', 200]], 500, { kind: 'none' }],
  [
    'auto waits (answers + 1) × the longest interval',
    AUTO,
    [...every('a', HAPROXY, 0, 1000, 3), ...every('b', KUBE, 0, 2000, 2)],
    2000,
    { kind: 'auto', ms: 8000, waitingFor: 2, answersNeeded: 3 },
  ],
  [
    'auto=2 with one checker',
    { kind: 'auto', answers: 2 },
    every('a', HAPROXY, 0, 2000, 3),
    4000,
    { kind: 'auto', ms: 6000, waitingFor: 1, answersNeeded: 2 },
  ],
  [
    'the bound is capped',
    AUTO,
    every('a', KUBE, 0, 30_000, 2),
    30_000,
    { kind: 'auto', ms: MAX_AUTO_DELAY_MS, waitingFor: 1, answersNeeded: 3 },
  ],
  [
    'a checker already answered 503 enough is not waited for',
    AUTO,
    [...every('a', HAPROXY, 0, 1000, 3, 503), ...every('b', HAPROXY, 0, 500, 2)],
    2000,
    { kind: 'auto', ms: 2000, waitingFor: 1, answersNeeded: 3 },
  ],
  [
    'a forgotten checker is not waited for',
    AUTO,
    every('a', HAPROXY, 0, 1000, 3),
    70_000,
    { kind: 'none' },
  ],
];

for (const [name, delay, polls, nowMs, want] of PLAN_CASES) {
  test(`drain delay plan: ${name}`, () => {
    assert.deepEqual(planDrainDelay(delay, track(polls).active(nowMs)), want);
  });
}
