/** Terminal renderings of a snapshot (`ebb status`, `ebb top`): widths, order, hostile text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactBytes, orderRows, statusReport, tableRow } from '../../../src/cli/status-view.js';
import { printable } from '../../../src/cli/format.js';
import { renderTopScreen } from '../../../src/cli/top-screen.js';
import type { ConnectionRow, StatusSnapshot } from '../../../src/lifecycle/status.js';

function row(id: number, fields: Partial<ConnectionRow> = {}): ConnectionRow {
  return {
    id,
    client: `203.0.113.${id}:40000`,
    state: 'responding',
    method: 'GET',
    path: `/debian/cd/debian-12.${id}-amd64-DVD-1.iso`,
    range: null,
    status: 200,
    bytesSent: 600_000_000,
    bytesAcked: 500_000_000,
    bytesDue: 4_000_000_000,
    bytesLeft: 3_500_000_000,
    startedAt: '2026-01-01T00:00:00.000Z',
    rateBytesPerSec: 3000 * id,
    etaSeconds: 3_500_000_000 / (3000 * id),
    ...fields,
  };
}

function snapshot(
  rows: ConnectionRow[],
  state: StatusSnapshot['state'] = 'serving',
): StatusSnapshot {
  return {
    pid: 42,
    version: '0.1.0',
    now: '2026-01-01T01:00:00.000Z',
    startedAt: '2026-01-01T00:00:00.000Z',
    state,
    since: '2026-01-01T00:55:00.000Z',
    deadline: null,
    listeners: ['0.0.0.0:80'],
    counters: {
      connections: rows.length + 500,
      byState: { reading: 0, idle: 500, responding: rows.length, delivering: 0 },
      acceptedTotal: 1000,
      requestsTotal: 2000,
      bodyBytesTotal: 10_000_000_000,
      downloadsInFlight: rows.length,
      bytesLeft: 3_500_000_000 * rows.length,
    },
    forecast: {
      lastCompletionAt: '2026-01-15T00:00:00.000Z',
      secondsLeft: 1_166_667,
      slowest: rows[0] ?? null,
      unknown: 0,
    },
    connections: rows,
    connectionsOmitted: 500,
  };
}

test('compactBytes fits six characters', () => {
  for (const [bytes, text] of [
    [0, '0B'],
    [999, '999B'],
    [1000, '1.0K'],
    [8 * 1024 * 1024, '8.0M'],
    [4_000_000_000, '3.7G'],
    [1023 * 1024 * 1024, '1.0G'],
    [700 * 1024 * 1024, '700M'],
  ] as const) {
    assert.equal(compactBytes(bytes), text);
    assert.ok(text.length <= 6);
  }
});

test('printable: control characters from a client cannot drive the terminal', () => {
  assert.equal(printable('/a\x1b[2J\x9b31m\x07b'), '/a?[2J?31m?b');
  const hostile = tableRow(row(1, { path: '/%1B%5B2J%0Aevil' }), 80);
  assert.ok(!/[\x00-\x1f]/.test(hostile), JSON.stringify(hostile));
  assert.match(hostile, /\?\[2J\?evil/);
});

test('table rows fit 80 columns and keep the end of a long file name', () => {
  const line = tableRow(row(1, { path: `/${'x'.repeat(200)}/tail-of-the-name.iso` }), 80);
  assert.ok(line.length <= 80, line);
  assert.match(line, /…[x/-]*tail-of-the-name\.iso/);
  assert.match(line, /^203\.0\.113\.1:40000 +\S+ +12\.5% +477M\/3\.7G +2\.9K\/s +13d12h$/);
  assert.equal(
    tableRow(row(2, { state: 'idle', path: null }), 80)
      .trimEnd()
      .endsWith('idle'),
    true,
  );
});

test('orderRows: in flight first; longest ETA first (unknown first), or fastest first', () => {
  const rows = [row(1), row(2), row(3, { etaSeconds: null }), row(4, { state: 'idle' })];
  assert.deepEqual(
    orderRows(rows, 'eta').map((r) => r.id),
    [3, 1, 2, 4],
  );
  assert.deepEqual(
    orderRows(rows, 'rate').map((r) => r.id),
    [3, 2, 1, 4],
  );
});

test('statusReport and the top screen: header, drain line, rows, what is not shown', () => {
  const rows = Array.from({ length: 40 }, (_, i) => row(i + 1));
  const report = statusReport(snapshot(rows, 'draining'), 80, 10);
  assert.match(report[0] ?? '', /^ebb 0\.1\.0 \(pid 42\) on 0\.0\.0\.0:80: draining since /);
  assert.match(report.join('\n'), /^drain: 40 downloads, .* left, last done /m);
  assert.match(report.at(-1) ?? '', /… and 530 more connections/);
  for (const line of report) assert.ok(line.length <= 80, line);

  const screen = renderTopScreen(
    {
      where: 'unix:/run/ebb.sock',
      status: snapshot(rows, 'draining'),
      throughputBytesPerSec: 2048,
      order: 'eta',
    },
    80,
    24,
  );
  assert.equal(screen.length, 24);
  for (const line of screen) assert.ok(line.replace(/\x1b\[\d*m/g, '').length <= 80, line);
  assert.match(screen[2] ?? '', /^drain: 40 downloads/);
  assert.equal(
    screen[1],
    'up 1h00m · 2.0 KiB/s · 540 conns, 40 downloading · 2000 reqs · 9.3 GiB served',
  );
  assert.match(screen[23] ?? '', /sorted by ETA .* 522 more not shown$/);
  assert.equal(screen.filter((l) => l.startsWith('203.0.113.')).length, 18);
});
