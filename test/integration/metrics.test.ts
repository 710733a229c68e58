/** `GET /metrics` parsed as Prometheus text and checked against what the test did. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { connectTo, download, requestText } from '../helpers/http-client.js';
import { adminFetch, adminPortOf } from '../helpers/admin.js';
import { sendDistinctMethods } from '../helpers/abuse-replays.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const small = await writeRandomFile(root.path, 'small.bin', 3000);
const big = await writeRandomFile(root.path, 'big.iso', 48 * 1024 * 1024);

/** `name{labels} value` lines as a map from `name{labels}` (labels as printed) to value. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

async function scrape(adminPort: number): Promise<Map<string, number>> {
  const response = await adminFetch(adminPort, 'GET', '/metrics');
  assert.equal(response.status, 200);
  assert.match(response.contentType ?? '', /^text\/plain; version=0\.0\.4/);
  return parseMetrics(response.body);
}

const serverArgs = (...extra: string[]): string[] => [
  '--listen',
  '127.0.0.1:0',
  '--admin',
  '127.0.0.1:0',
  ...extra,
  root.path,
];

test('/metrics counts the requests made (3×200 + 1×404), bytes, connections and process figures', async () => {
  const server = await startEbb(serverArgs('--access-log', 'off'));
  const adminPort = adminPortOf(server.stderr.lines);
  const before = await scrape(adminPort);
  assert.equal(before.get('ebb_drain_state'), 0);
  assert.equal(before.get('ebb_drain_started_timestamp_seconds'), 0);
  assert.equal(before.get('ebb_requests_total{code="200",method="GET"}'), undefined);

  for (let i = 0; i < 3; i++) assert.equal((await download(server.port, '/small.bin')).status, 200);
  assert.equal((await download(server.port, '/missing.bin')).status, 404);

  const m = await scrape(adminPort);
  assert.equal(m.get('ebb_requests_total{code="200",method="GET"}'), 3);
  assert.equal(m.get('ebb_requests_total{code="404",method="GET"}'), 1);
  const bodyBytes = m.get('ebb_response_body_bytes_total') ?? 0;
  assert.ok(bodyBytes >= 3 * small.size && bodyBytes < 3 * small.size + 1024, String(bodyBytes));
  assert.equal(m.get('ebb_connections_accepted_total'), 4);
  for (const reason of ['timeout', 'deadline', 'stopped']) {
    assert.equal(m.get(`ebb_connections_cut_total{reason="${reason}"}`), 0);
  }
  for (const state of ['reading', 'idle', 'responding', 'delivering']) {
    assert.ok(m.has(`ebb_connections{state="${state}"}`), state);
  }
  assert.equal(m.get('ebb_inflight_bytes_due_bytes'), 0);
  assert.ok((m.get('ebb_process_cpu_seconds_total') ?? 0) > 0);
  assert.ok((m.get('ebb_process_resident_memory_bytes') ?? 0) > 0);
  assert.ok(m.has('ebb_nodejs_eventloop_lag_seconds'));
  // Its own registry: nothing unprefixed leaks in from prom-client's global one.
  for (const key of m.keys()) assert.match(key, /^ebb_/);

  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
});

test('/metrics during a download and a drain: bytes due, connection states, drain state and start, a stalled client cut', async () => {
  const server = await startEbb(serverArgs('--write-idle-timeout', '1s'));
  const adminPort = adminPortOf(server.stderr.lines);

  // A stalled client: asks for a file larger than the socket buffers and never reads.
  const stalled = await connectTo(server.port);
  stalled.on('error', () => undefined);
  stalled.write(requestText(`/${big.name}`));
  await server.stdout.waitFor(/"GET \/big\.iso HTTP\/1\.1" 200 \d+ .* timeout$/);
  const afterCut = await scrape(adminPort);
  assert.equal(afterCut.get('ebb_connections_cut_total{reason="timeout"}'), 1);
  assert.equal(afterCut.get('ebb_requests_total{code="200",method="GET"}'), 1);
  stalled.destroy();

  // A slow download in flight while a drain begins.
  let headSeen!: () => void;
  const gotHead = new Promise<void>((resolve) => (headSeen = resolve));
  const slow = download(server.port, `/${big.name}`, {
    bytesPerSecond: 40_000_000,
    onHead: () => headSeen(),
  });
  await gotHead;
  const drainAsked = Date.now() / 1000;
  assert.equal((await adminFetch(adminPort, 'POST', '/drain')).status, 202);
  const draining = await scrape(adminPort);
  assert.equal(draining.get('ebb_drain_state'), 1);
  const started = draining.get('ebb_drain_started_timestamp_seconds') ?? 0;
  assert.ok(Math.abs(started - drainAsked) < 2, `drain started at ${started}, asked ${drainAsked}`);
  assert.equal(draining.get('ebb_connections{state="responding"}'), 1);
  const due = draining.get('ebb_inflight_bytes_due_bytes') ?? 0;
  assert.ok(due > 0 && due <= big.size, String(due));

  assert.equal((await slow).sha256, big.sha256);
  assert.equal((await server.exited).code, 0);
});

test('distinct long methods (a bounded replay) leave the /metrics label sets bounded', async () => {
  const server = await startEbb(serverArgs('--access-log', 'off'));
  const adminPort = adminPortOf(server.stderr.lines);
  const requestCount = 400;
  const statuses = await sendDistinctMethods(server.port, requestCount);
  assert.deepEqual([...statuses], [[405, requestCount]]);
  const m = await scrape(adminPort);
  const requestSeries = [...m.keys()].filter((key) => key.startsWith('ebb_requests_total{'));
  // Compared by count first: a failure must not print 400 label sets of 4 KB each.
  assert.equal(requestSeries.length, 1, `${requestSeries.length} label sets`);
  assert.equal(requestSeries[0], 'ebb_requests_total{code="405",method="other"}');
  assert.equal(m.get('ebb_requests_total{code="405",method="other"}'), requestCount);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
});
