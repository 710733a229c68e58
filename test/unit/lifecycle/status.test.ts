/** The status snapshot over a real registry: row order, ETAs, the forecast, the row limit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Registry } from '../../../src/lifecycle/registry.js';
import { buildStatus } from '../../../src/lifecycle/status.js';
import type { ParsedRequest, Reply } from '../../../src/http/types.js';

const NOW_MS = Date.UTC(2026, 11, 1, 10, 0, 0);

function addConnection(
  registry: Registry,
  port: number,
  download: { target: string; bytesDue: number; bytesAcked: number; rate: number } | null,
): void {
  const socket = { remoteAddress: '::1', remotePort: port } as unknown as Socket;
  const entry = registry.add(socket, []);
  if (download === null) return;
  const request: ParsedRequest = {
    method: 'GET',
    target: download.target,
    minorVersion: 1,
    headers: [],
  };
  const reply: Reply = { status: 200, headers: [], body: [] };
  entry.onPhase('reading');
  entry.onRequestStart(request);
  entry.onPhase('responding');
  entry.onResponseStart(request, reply, download.bytesDue);
  entry.onBodyBytes(download.bytesDue);
  entry.bytesAcked = download.bytesAcked;
  entry.rateBytesPerSec = download.rate;
}

test('rows: downloads first, unknown ETA (stalled) first, then the longest; idle last; capped', () => {
  const registry = new Registry();
  addConnection(registry, 1, null);
  addConnection(registry, 2, { target: '/fast.iso', bytesDue: 1000, bytesAcked: 900, rate: 100 });
  addConnection(registry, 3, { target: '/slow.iso', bytesDue: 1000, bytesAcked: 400, rate: 100 });
  addConnection(registry, 4, { target: '/stalled.iso', bytesDue: 1000, bytesAcked: 0, rate: 0 });
  const status = buildStatus(
    {
      registry,
      state: {
        kind: 'draining',
        sinceMs: NOW_MS - 5000,
        trigger: 'SIGINT',
        delayUntilMs: null,
        healthCheckers: null,
        deadlineMs: NOW_MS + 60_000,
      },
      startedAtMs: NOW_MS - 60_000,
      version: '0.0.0-test',
      listeners: ['[::1]:8080'],
    },
    3,
    NOW_MS,
  );
  assert.deepEqual(
    status.connections.map((r) => [r.client, r.path, r.etaSeconds]),
    [
      ['[::1]:4', '/stalled.iso', null],
      ['[::1]:3', '/slow.iso', 6],
      ['[::1]:2', '/fast.iso', 1],
    ],
  );
  assert.equal(status.connectionsOmitted, 1);
  assert.equal(status.state, 'draining');
  assert.equal(status.deadline, new Date(NOW_MS + 60_000).toISOString());
  assert.deepEqual(status.counters.byState, { reading: 0, idle: 1, responding: 3, delivering: 0 });
  assert.equal(status.counters.downloadsInFlight, 3);
  assert.equal(status.counters.bytesLeft, 100 + 600 + 1000);
  assert.equal(status.forecast.secondsLeft, 6);
  assert.equal(status.forecast.unknown, 1);
  assert.equal(status.forecast.slowest?.path, '/stalled.iso');
  assert.equal(status.forecast.lastCompletionAt, new Date(NOW_MS + 6000).toISOString());
});

test('an idle server: no forecast, no rows beyond the connections', () => {
  const registry = new Registry();
  const status = buildStatus(
    {
      registry,
      state: { kind: 'serving', sinceMs: NOW_MS },
      startedAtMs: NOW_MS,
      version: '0.0.0-test',
      listeners: [],
    },
    Infinity,
    NOW_MS,
  );
  assert.deepEqual(status.connections, []);
  assert.equal(status.deadline, null);
  assert.deepEqual(status.forecast, {
    lastCompletionAt: null,
    secondsLeft: null,
    slowest: null,
    unknown: 0,
  });
});
