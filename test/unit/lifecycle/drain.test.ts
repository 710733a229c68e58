/**
 * The drain state machine in milliseconds, no child process: fake connections and listeners,
 * `t.mock.timers` for the clock. Table: new-arrival policy × drain delay × deadline × a stop
 * during the drain × a repeated SIGINT, each against one idle connection and one download.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { DrainableConnection } from '../../../src/http/connection.js';
import type { ConnectionPhase, CutReason } from '../../../src/http/types.js';
import { Drain, type DrainConnections, type DrainEntry } from '../../../src/lifecycle/drain.js';
import type { ResponseRecord } from '../../../src/lifecycle/response-record.js';
import {
  isListening,
  type DrainNewPolicy,
  type DrainSettings,
  type DrainSummary,
} from '../../../src/lifecycle/state.js';

const WINDOW_MS = 1000;
const DOWNLOAD_ENDS_MS = 20_000;

/** A connection of the fake registry: what the drain asked of it, and how it then ends. */
class FakeConnection implements DrainableConnection, DrainEntry {
  closeRequested = false;
  closed = false;
  readonly connection = this;
  readonly tcpKey = '';
  constructor(
    readonly registry: FakeRegistry,
    readonly id: number,
    public phase: ConnectionPhase,
    readonly bytesLeft: number,
  ) {}
  requestClose(): void {
    this.closeRequested = true;
  }
  closeIfIdle(): boolean {
    if (this.phase !== 'idle') return false;
    queueMicrotask(() => this.registry.close(this, null));
    return true;
  }
  cut(reason: CutReason): void {
    if (this.closed) return;
    queueMicrotask(() => this.registry.close(this, reason));
  }
}

class FakeRegistry implements DrainConnections {
  readonly entries = new Set<FakeConnection>();
  drain!: Drain;
  private nextId = 1;
  get size(): number {
    return this.entries.size;
  }
  [Symbol.iterator](): Iterator<DrainEntry> {
    return this.entries.values();
  }
  add(phase: ConnectionPhase, bytesLeft = 0): FakeConnection {
    const connection = new FakeConnection(this, this.nextId++, phase, bytesLeft);
    this.entries.add(connection);
    return connection;
  }
  /** Closes `c`: a download ends with its record (cut with `reason`, or delivered). */
  close(c: FakeConnection, reason: CutReason | 'delivered' | null): void {
    if (c.closed) return;
    c.closed = true;
    this.entries.delete(c);
    const response =
      c.phase === 'idle'
        ? null
        : responseOf(c, reason === 'delivered' ? 'complete' : (reason ?? 'aborted'));
    if (response !== null && reason !== 'delivered') this.drain.responseWritten(response);
    this.drain.connectionClosed({
      connectionId: c.id,
      lastResponse: response,
      delivery: reason === 'delivered' ? { outcome: 'delivered', bytesAcked: 1000 } : null,
    });
  }
}

function responseOf(c: FakeConnection, written: ResponseRecord['written']): ResponseRecord {
  return {
    connectionId: c.id,
    remoteAddress: '::1',
    client: `[::1]:${1000 + c.id}`,
    request: { method: 'GET', target: '/big.iso', minorVersion: 1, headers: [] },
    startedAtMs: 0,
    endedAtMs: Date.now(),
    status: 200,
    bytesDue: 1000,
    bytesSent: written === 'complete' ? 1000 : 400,
    bytesAcked: null,
    written,
  };
}

interface Scenario {
  readonly policy: DrainNewPolicy;
  readonly delayMs: number;
  readonly deadlineMs: number | null;
  readonly stopAtMs: number | null;
  readonly repeatAtMs: number | null;
}

interface Expected {
  readonly finishedAtMs: number;
  readonly listenersClosedAtMs: number;
  readonly exitStatus: number;
  readonly cut: readonly string[];
  readonly completed: number;
}

/** What the drain contract says for a scenario, worked out by hand from DESIGN.md. */
function expected(s: Scenario): Expected {
  const endMs = s.stopAtMs ?? s.deadlineMs ?? DOWNLOAD_ENDS_MS;
  const cutReason = s.stopAtMs !== null ? 'stopped' : s.deadlineMs !== null ? 'deadline' : null;
  return {
    finishedAtMs: endMs,
    // Refuse closes the listeners when the drain proper begins (after the delay); 503/redirect
    // keep them until the connections open at the drain are gone.
    listenersClosedAtMs: s.policy.kind === 'refuse' ? s.delayMs : endMs,
    exitStatus: cutReason === null ? 0 : 3,
    cut:
      cutReason === null ? [] : [`cut (${cutReason}): [::1]:1002 /big.iso after 400 of 1000 bytes`],
    completed: cutReason === null ? 1 : 0,
  };
}

const POLICIES: readonly DrainNewPolicy[] = [
  { kind: 'refuse' },
  { kind: 'status503' },
  { kind: 'redirect', url: 'https://peer.example' },
];

const SCENARIOS: Scenario[] = POLICIES.flatMap((policy) =>
  [0, 2000].flatMap((delayMs) =>
    [null, 10_000].flatMap((deadlineMs) =>
      [null, 4000].flatMap((stopAtMs) =>
        [null, 1500].map((repeatAtMs) => ({ policy, delayMs, deadlineMs, stopAtMs, repeatAtMs })),
      ),
    ),
  ),
);

/**
 * A drain over `registry` whose fake listeners close as soon as they are asked (the accept
 * queue is empty), and whose kernel receive queues are empty.
 */
function newDrain(
  registry: FakeRegistry,
  drainSettings: DrainSettings,
  say: (line: string) => void,
): Drain {
  const drain = new Drain(registry, drainSettings, say, undefined, () => new Map());
  drain.observe((state) => {
    if (state.kind === 'draining' && state.listeners === 'closing') {
      queueMicrotask(() => drain.listenersClosed());
    }
  });
  registry.drain = drain;
  return drain;
}

function settings(s: Pick<Scenario, 'policy' | 'delayMs' | 'deadlineMs'>): DrainSettings {
  return {
    drainNew: s.policy,
    drainDelay: { kind: 'fixed', ms: s.delayMs },
    drainTimeoutMs: s.deadlineMs,
    lastRequestWindowMs: WINDOW_MS,
  };
}

/** Advances the mocked clock to `ms`, letting microtasks (fake closes) run at each step. */
async function advanceTo(t: TestContext, ms: number): Promise<void> {
  // Steps land on every multiple of 250 ms, where the scenarios' events are, so a fake close
  // queued by a cut runs at the cut's own time.
  while (Date.now() < ms) {
    const next = Math.min(ms, (Math.floor(Date.now() / 250) + 1) * 250);
    t.mock.timers.tick(next - Date.now());
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

function describe(s: Scenario): string {
  return [
    s.policy.kind,
    `delay ${s.delayMs}`,
    `deadline ${s.deadlineMs ?? 'none'}`,
    s.stopAtMs === null ? 'no stop' : `stop at ${s.stopAtMs}`,
    s.repeatAtMs === null ? 'one SIGINT' : `SIGINT again at ${s.repeatAtMs}`,
  ].join(', ');
}

for (const scenario of SCENARIOS) {
  test(`drain: ${describe(scenario)}`, async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const registry = new FakeRegistry();
    const lines: string[] = [];
    const drain = newDrain(registry, settings(scenario), (line) => lines.push(line));
    registry.drain = drain;
    const idle = registry.add('idle');
    const download = registry.add('responding', 600);
    let listenersClosedAtMs: number | null = null;
    drain.observe((state) => {
      if (!isListening(state)) listenersClosedAtMs ??= Date.now();
    });
    let summary: DrainSummary | null = null;
    let finishedAtMs: number | null = null;
    const finished = drain.drain({ trigger: 'SIGINT' });
    void finished.then((s) => {
      summary = s;
      finishedAtMs = Date.now();
    });
    setTimeout(() => registry.close(download, 'delivered'), DOWNLOAD_ENDS_MS);
    if (scenario.stopAtMs !== null) {
      setTimeout(() => assert.equal(drain.stop('SIGTERM'), finished), scenario.stopAtMs);
    }
    if (scenario.repeatAtMs !== null) {
      setTimeout(
        () => assert.equal(drain.drain({ trigger: 'SIGINT' }), finished),
        scenario.repeatAtMs,
      );
    }

    // Until the delay is over the drain only delays (listeners open, /ready 503).
    await advanceTo(t, Math.max(0, scenario.delayMs - 1));
    assert.equal(drain.state.kind, scenario.delayMs > 0 ? 'delaying' : 'draining');
    assert.equal(
      isListening(drain.state),
      scenario.delayMs > 0 || scenario.policy.kind !== 'refuse',
    );
    await advanceTo(t, 30_000);

    const want = expected(scenario);
    assert.ok(summary !== null, 'the drain finished');
    const got = summary as DrainSummary;
    assert.equal(finishedAtMs, want.finishedAtMs);
    assert.equal(got.durationMs, want.finishedAtMs);
    assert.equal(listenersClosedAtMs, want.listenersClosedAtMs);
    assert.equal(got.exitStatus, want.exitStatus);
    assert.equal(got.trigger, scenario.stopAtMs !== null ? 'SIGTERM' : 'SIGINT');
    assert.equal(got.completed.count, want.completed);
    assert.deepEqual(
      lines.filter((l) => l.startsWith('cut (')),
      want.cut,
    );
    // The idle connection was asked to close and closed after the last-request window.
    assert.ok(idle.closeRequested || scenario.stopAtMs !== null || scenario.delayMs > 0);
    assert.ok(idle.closed);
    if (scenario.repeatAtMs !== null) {
      assert.ok(
        lines.some((l) => l.startsWith('drain in progress: ')),
        lines.join('\n'),
      );
    }
  });
}

test('drain: a drain request with a shorter timeout moves the deadline closer', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const registry = new FakeRegistry();
  const lines: string[] = [];
  const drain = newDrain(
    registry,
    settings({ policy: { kind: 'refuse' }, delayMs: 0, deadlineMs: 60_000 }),
    (line) => lines.push(line),
  );
  registry.drain = drain;
  registry.add('responding', 600);
  void drain.drain({ trigger: 'SIGINT' });
  await advanceTo(t, 1000);
  void drain.drain({ trigger: 'admin', timeoutMs: 2000 });
  assert.equal(drain.state.kind === 'draining' && drain.state.deadlineMs, 3000);
  void drain.drain({ trigger: 'admin', timeoutMs: 10_000 }); // later: ignored
  assert.equal(drain.state.kind === 'draining' && drain.state.deadlineMs, 3000);
  let doneAtMs: number | null = null;
  void drain.finished.then(() => (doneAtMs = Date.now()));
  await advanceTo(t, 5000);
  assert.equal(doneAtMs, 3000);
  assert.ok(lines.includes('drain deadline reached: cutting 1 connections'), lines.join('\n'));
});

test('drain: with nothing open, the drain is over at once and its timers are gone', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const registry = new FakeRegistry();
  const drain = newDrain(
    registry,
    settings({ policy: { kind: 'status503' }, delayMs: 0, deadlineMs: 60_000 }),
    () => undefined,
  );
  registry.drain = drain;
  const summary = await drain.drain({ trigger: 'SIGQUIT' });
  assert.deepEqual(summary, {
    trigger: 'SIGQUIT',
    durationMs: 0,
    completed: { count: 0, bytes: 0 },
    cut: [],
    exitStatus: 0,
  });
  assert.equal(isListening(drain.state), false);
  // No timer is left to fire: ticking past the deadline and the window changes nothing.
  t.mock.timers.tick(120_000);
  assert.equal(drain.state.kind, 'draining');
});

test('stop while serving cuts everything and resolves the same promise as a later drain', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const registry = new FakeRegistry();
  const lines: string[] = [];
  const drain = newDrain(
    registry,
    settings({ policy: { kind: 'refuse' }, delayMs: 0, deadlineMs: null }),
    (line) => lines.push(line),
  );
  registry.drain = drain;
  registry.add('responding', 600);
  const stopped = drain.stop('SIGTERM');
  assert.equal(drain.drain({ trigger: 'SIGINT' }), stopped, 'a drain after a stop changes nothing');
  const summary = await stopped;
  assert.equal(summary.exitStatus, 3);
  assert.deepEqual(
    summary.cut.map((c) => c.reason),
    ['stopped'],
  );
  assert.equal(lines[0], 'stopping now (SIGTERM): cutting 1 connections');
});
