/**
 * `--drain-delay auto` in the drain state machine, on a mocked clock: health checkers poll at
 * their intervals and are answered as the routes answer them (200 serving, 503 from the drain
 * on); the table gives when the listeners close and what the delay said it waited for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Drain, type DrainConnections, type DrainEntry } from '../../../src/lifecycle/drain.js';
import { isListening, type DrainSettings } from '../../../src/lifecycle/state.js';
import type { DrainDelay } from '../../../src/config/values.js';

const NO_CONNECTIONS: DrainConnections = {
  size: 0,
  [Symbol.iterator]: (): Iterator<DrainEntry> => [][Symbol.iterator](),
};

interface Checker {
  readonly client: string;
  readonly everyMs: number;
  /** It stops polling then (a load balancer gone); null: it keeps polling. */
  readonly stopsAtMs: number | null;
}

interface Case {
  readonly name: string;
  readonly delay: DrainDelay;
  readonly checkers: readonly Checker[];
  readonly drainAtMs: number;
  readonly handedOver?: boolean;
  /** When the listeners close. */
  readonly closedAtMs: number;
  /** The waiting counts the delay went through (null: a fixed delay or none). */
  readonly waiting: readonly (number | null)[];
  readonly said: RegExp;
}

const AUTO: DrainDelay = { kind: 'auto', answers: 3 };
const haproxy = (everyMs: number, stopsAtMs: number | null = null): Checker => ({
  client: `haproxy-${everyMs}`,
  everyMs,
  stopsAtMs,
});

const CASES: readonly Case[] = [
  {
    name: 'one checker every second: closed at its third 503',
    delay: AUTO,
    checkers: [haproxy(1000)],
    drainAtMs: 5500,
    closedAtMs: 8000,
    waiting: [1],
    said: /waiting for 1 health checkers to be answered 503 3 times \(at most 4\.0 s\)/,
  },
  {
    name: 'two checkers: closed once the slower has seen three',
    delay: AUTO,
    checkers: [haproxy(1000), haproxy(2000)],
    drainAtMs: 5500,
    closedAtMs: 10_000,
    waiting: [2, 1],
    said: /every health checker has been answered 503 3 times \(after 4\.5 s\)/,
  },
  {
    name: 'auto=2',
    delay: { kind: 'auto', answers: 2 },
    checkers: [haproxy(1000)],
    drainAtMs: 5500,
    closedAtMs: 7000,
    waiting: [1],
    said: /answered 503 2 times/,
  },
  {
    name: 'a checker that stops polling: closed at the bound',
    delay: AUTO,
    checkers: [haproxy(1000, 5600)],
    drainAtMs: 5500,
    closedAtMs: 9500,
    waiting: [1],
    said: /drain delay over after 4 s: 1 health checkers not yet answered 503 3 times/,
  },
  {
    name: 'nobody polls: no delay',
    delay: AUTO,
    checkers: [],
    drainAtMs: 5500,
    closedAtMs: 5500,
    waiting: [],
    said: /draining \(SIGINT\): 0 connections open, no deadline$/,
  },
  {
    name: 'a fixed delay does not wait for the checkers',
    delay: { kind: 'fixed', ms: 1200 },
    checkers: [haproxy(1000)],
    drainAtMs: 5500,
    closedAtMs: 6700,
    waiting: [null],
    said: /closing the listeners in 1\.2 s/,
  },
  {
    name: 'handed over to a newer ebb: no delay',
    delay: AUTO,
    checkers: [haproxy(1000)],
    drainAtMs: 5500,
    handedOver: true,
    closedAtMs: 5500,
    waiting: [],
    said: /draining \(SIGINT\)/,
  },
];

function settings(delay: DrainDelay): DrainSettings {
  return {
    drainNew: { kind: 'refuse' },
    drainDelay: delay,
    drainTimeoutMs: null,
    lastRequestWindowMs: 1000,
  };
}

for (const c of CASES) {
  test(`drain delay auto: ${c.name}`, (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 0 });
    const lines: string[] = [];
    const drain = new Drain(NO_CONNECTIONS, settings(c.delay), (line) => lines.push(line));
    let closedAtMs: number | null = null;
    const waiting: (number | null)[] = [];
    drain.observe((state) => {
      if (state.kind === 'delaying') {
        const count = state.healthCheckers?.waitingFor ?? null;
        if (waiting.at(-1) !== count) waiting.push(count);
      }
      if (!isListening(state)) closedAtMs ??= Date.now();
    });
    for (const checker of c.checkers) {
      const poll = setInterval(() => {
        if (checker.stopsAtMs !== null && Date.now() >= checker.stopsAtMs) {
          clearInterval(poll);
          return;
        }
        const ready = drain.state.kind === 'serving';
        drain.healthCheckers.record({ client: checker.client, userAgent: '', ready }, Date.now());
      }, checker.everyMs);
      t.after(() => clearInterval(poll));
    }
    setTimeout(
      () => void drain.drain({ trigger: 'SIGINT', handedOver: c.handedOver === true }),
      c.drainAtMs,
    );
    for (let ms = 0; ms < 30_000; ms += 100) t.mock.timers.tick(100);
    assert.equal(closedAtMs, c.closedAtMs, lines.join('\n'));
    assert.deepEqual(waiting, c.waiting);
    assert.ok(
      lines.some((line) => c.said.test(line)),
      `no line matches ${c.said}:\n${lines.join('\n')}`,
    );
  });
}
