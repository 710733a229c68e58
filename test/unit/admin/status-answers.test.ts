/**
 * /status answers: always the bytes of JSON.stringify(snapshot); the rows are built and
 * serialised once per change of the rows' version (a sample, the connection set), however many
 * looks come between, while the rest (the clock, the state) is new on every look.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import {
  serializeStatus,
  StatusAnswers,
  type StatusBody,
} from '../../../src/admin/status-answers.js';
import type { ParsedRequest } from '../../../src/http/types.js';
import { Registry } from '../../../src/lifecycle/registry.js';
import {
  buildStatus,
  viewConnections,
  type ConnectionRow,
  type StatusContext,
  type StatusSnapshot,
} from '../../../src/lifecycle/status.js';

function row(id: number, changes: Partial<ConnectionRow> = {}): ConnectionRow {
  return {
    id,
    client: `127.0.0.1:${40000 + id}`,
    state: 'responding',
    method: 'GET',
    path: '/big.bin',
    range: null,
    status: 200,
    bytesSent: 1000 * id,
    bytesAcked: 500 * id,
    bytesDue: 4096 * id,
    bytesLeft: 4096 * id - 500 * id,
    startedAt: '2026-12-01T15:00:00.000Z',
    rateBytesPerSec: 4096,
    etaSeconds: id,
    ...changes,
  };
}

function snapshot(
  connections: readonly ConnectionRow[],
  changes: Partial<StatusSnapshot> = {},
): StatusSnapshot {
  return {
    pid: 42,
    version: '0.1.0',
    now: '2026-12-01T15:00:01.000Z',
    startedAt: '2026-12-01T14:00:00.000Z',
    state: 'serving',
    since: '2026-12-01T14:00:00.000Z',
    deadline: null,
    listeners: ['127.0.0.1:8080'],
    counters: {
      connections: connections.length,
      byState: { reading: 0, idle: 0, responding: connections.length, delivering: 0 },
      acceptedTotal: 9,
      requestsTotal: 9,
      bodyBytesTotal: 12345,
      downloadsInFlight: connections.length,
      bytesLeft: 0,
    },
    forecast: { lastCompletionAt: null, secondsLeft: null, slowest: null, unknown: 0 },
    connections,
    connectionsOmitted: 0,
    olderGenerations: [],
    warnings: [],
    delay: null,
    healthCheckers: [],
    ...changes,
  };
}

function parsed(body: StatusBody): StatusSnapshot {
  return JSON.parse(text(body)) as StatusSnapshot;
}

function text(body: StatusBody): string {
  const [head, rows, tail] = body.chunks;
  const whole = head + rows.toString('utf8') + tail;
  assert.equal(Buffer.byteLength(whole), body.byteLength, 'Content-Length matches the bytes');
  return whole;
}

const rows = [row(1), row(2), row(3)];

/** Snapshots of every shape: each must come out as JSON.stringify writes it. */
const STEPS: ReadonlyArray<{ readonly name: string; readonly snapshot: StatusSnapshot }> = [
  { name: 'no connections', snapshot: snapshot([]) },
  { name: 'three rows', snapshot: snapshot(rows) },
  { name: 'the same rows, a later clock', snapshot: snapshot(rows, { now: 'later' }) },
  {
    name: 'one row acknowledged more',
    snapshot: snapshot([row(1), row(2, { bytesAcked: 9 }), row(3)]),
  },
  { name: 'rows reordered', snapshot: snapshot([row(3), row(1), row(2)]) },
  { name: 'a row gone, one new', snapshot: snapshot([row(3), row(4), row(2)]) },
  { name: 'a field back to null', snapshot: snapshot([row(3, { etaSeconds: null }), row(4)]) },
  {
    name: 'strings that need escaping',
    snapshot: snapshot([row(5, { path: '/a "b"\\\n\u0001é\u2028', client: '[::1]:1' })]),
  },
  {
    name: 'limited, some omitted, draining',
    snapshot: snapshot([row(5)], {
      connectionsOmitted: 7,
      state: 'draining',
      deadline: 'soon',
      forecast: { lastCompletionAt: 'x', secondsLeft: 3, slowest: row(5), unknown: 1 },
    }),
  },
  {
    name: 'optional fields absent or undefined',
    // What an older server's JSON may lack; undefined is what JSON.stringify leaves out.
    snapshot: { ...snapshot([row(6)]), limits: undefined, olderGenerations: undefined } as never,
  },
  {
    name: 'connections the last key',
    snapshot: (({ connections, ...rest }) => ({ ...rest, connections }))(snapshot([row(6)])),
  },
  {
    name: 'connections the first key',
    snapshot: (({ connections, ...rest }) => ({ connections, ...rest }))(snapshot([row(7)])),
  },
  { name: 'back to none', snapshot: snapshot([]) },
];

test('serializeStatus: JSON.stringify(snapshot), byte for byte, whatever its keys and strings', () => {
  for (const step of STEPS) {
    const rowsJson = Buffer.from(JSON.stringify(step.snapshot.connections));
    assert.equal(
      text(serializeStatus(step.snapshot, rowsJson)),
      JSON.stringify(step.snapshot),
      step.name,
    );
  }
});

/** Sources over a fake clock of versions, counting how often the rows are built. */
function countingSources(connections: () => readonly ConnectionRow[]) {
  const counts = { views: 0, builds: 0 };
  let version = 1;
  const answers = new StatusAnswers({
    rowsVersion: () => String(version),
    viewConnections: (limit) => {
      counts.views++;
      const all = connections();
      const kept = all.slice(0, limit);
      return {
        connections: kept,
        connectionsOmitted: all.length - kept.length,
        downloadsInFlight: all.length,
        bytesLeft: 0,
        forecast: { lastCompletionAt: null, secondsLeft: null, slowest: null, unknown: 0 },
      };
    },
    buildStatus: (_limit, nowMs, view) => {
      counts.builds++;
      // The counters are the registry's now; the rows (view.connections) are what was kept.
      return snapshot(connections(), {
        now: new Date(nowMs).toISOString(),
        connectionsOmitted: view.connectionsOmitted,
      });
    },
  });
  return { answers, counts, change: () => version++ };
}

test('StatusAnswers: rows built once per version, the clock new on every look', () => {
  let current = rows;
  const { answers, counts, change } = countingSources(() => current);
  const first = answers.answer(Infinity, 1000);
  const again = answers.answer(Infinity, 2000);
  assert.equal(counts.views, 1, 'one build of the rows for two looks');
  assert.equal(counts.builds, 2, 'the rest of the snapshot on every look');
  assert.equal(again.chunks[1], first.chunks[1], 'the same bytes');
  assert.equal(parsed(again).now, new Date(2000).toISOString());
  current = [row(1), row(2, { bytesAcked: 9 })];
  assert.equal(answers.answer(Infinity, 3000).chunks[1], first.chunks[1], 'same version: kept');
  change();
  const changed = answers.answer(Infinity, 4000);
  assert.equal(counts.views, 2);
  assert.equal(
    text(changed),
    JSON.stringify(snapshot(current, { now: new Date(4000).toISOString() })),
  );
});

test('StatusAnswers: each limit kept apart, at most four limits kept', () => {
  const { answers, counts } = countingSources(() => rows);
  const one = answers.answer(1, 1000);
  assert.equal(parsed(one).connections.length, 1);
  assert.equal(parsed(one).connectionsOmitted, 2);
  assert.equal(parsed(answers.answer(Infinity, 1000)).connections.length, 3);
  answers.answer(1, 2000);
  assert.equal(counts.views, 2, 'limit 1 and every row: one build each');
  for (const limit of [2, 3, 4]) answers.answer(limit, 3000);
  assert.equal(counts.views, 5);
  answers.answer(1, 4000);
  assert.equal(counts.views, 6, 'a fifth limit let the kept answers go');
});

function addDownload(registry: Registry, port: number, bytesAcked: number, rate: number): void {
  const entry = registry.add({ remoteAddress: '127.0.0.1', remotePort: port } as Socket, []);
  const request: ParsedRequest = {
    method: 'GET',
    target: `/f${port}`,
    minorVersion: 1,
    headers: [],
  };
  entry.onPhase('reading');
  entry.onRequestStart(request);
  entry.onPhase('responding');
  entry.onResponseStart(request, { status: 200, headers: [], body: [] }, 10_000);
  entry.onBodyBytes(8000);
  entry.bytesAcked = bytesAcked;
  entry.rateBytesPerSec = rate;
}

test('StatusAnswers over a real registry: what buildStatus alone answers, at each limit', () => {
  const registry = new Registry();
  registry.add({ remoteAddress: '::1', remotePort: 1 } as Socket, []);
  addDownload(registry, 2, 100, 50);
  addDownload(registry, 3, 900, 0);
  addDownload(registry, 4, 5000, 1000);
  const ctx: StatusContext = {
    registry,
    state: { kind: 'serving', sinceMs: 0 },
    startedAtMs: 0,
    version: 'test',
    listeners: ['127.0.0.1:80'],
  };
  const answers = new StatusAnswers({
    rowsVersion: () => '1',
    viewConnections: (limit, nowMs) => viewConnections(registry, limit, nowMs),
    buildStatus: (limit, nowMs, view) => buildStatus(ctx, limit, nowMs, view),
  });
  for (const limit of [Infinity, 0, 2]) {
    const nowMs = Date.UTC(2026, 11, 1);
    assert.equal(
      text(answers.answer(limit, nowMs)),
      JSON.stringify(buildStatus(ctx, limit, nowMs)),
      `limit ${limit}`,
    );
  }
});
