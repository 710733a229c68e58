/** The live feed: one snapshot per tick shared by every viewer, no timer without viewers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FEED_ROW_LIMIT,
  SnapshotFeed,
  sseMessage,
  type FeedViewer,
} from '../../../src/admin/snapshot-feed.js';
import type { StatusSnapshot } from '../../../src/lifecycle/status.js';
import type { DrainSummary } from '../../../src/lifecycle/state.js';

function fakeSnapshot(nowMs: number): StatusSnapshot {
  return { now: new Date(nowMs).toISOString(), counters: { bodyBytesTotal: 0 } } as StatusSnapshot;
}

class Viewer implements FeedViewer {
  readonly messages: string[] = [];
  ended = false;
  send(message: string): void {
    this.messages.push(message);
  }
  end(): void {
    this.ended = true;
  }
  events(name: string): string[] {
    return this.messages.filter((m) => m.startsWith(`event: ${name}\n`));
  }
}

test('sseMessage: one event line and one data line, newlines in data escaped', () => {
  assert.equal(sseMessage('status', { a: 'x\ny' }), 'event: status\ndata: {"a":"x\\ny"}\n\n');
});

test('SnapshotFeed: builds once per tick for every viewer and shares the same string', (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  let builds = 0;
  let delivered = 0;
  const limits: number[] = [];
  const feed = new SnapshotFeed(
    (limit) => {
      builds++;
      limits.push(limit);
      return fakeSnapshot(Date.now());
    },
    () => delivered,
  );
  const a = new Viewer();
  const b = new Viewer();
  const c = new Viewer();
  const unsubscribeA = feed.subscribe(a);
  feed.subscribe(b);
  feed.subscribe(c);
  assert.equal(builds, 1, 'the first viewer gets a snapshot at once; later ones share it');
  assert.equal(a.events('history').length, 1);
  assert.equal(b.events('status')[0], a.events('status')[0]);
  for (let tick = 1; tick <= 5; tick++) {
    delivered += 1000;
    t.mock.timers.tick(1000);
  }
  assert.equal(builds, 6);
  assert.deepEqual(new Set(limits), new Set([FEED_ROW_LIMIT]));
  assert.deepEqual(b.events('status').slice(-5), a.events('status').slice(-5));
  assert.deepEqual(c.events('status').slice(-5), a.events('status').slice(-5));
  const last = JSON.parse(a.events('status').at(-1)?.split('data: ')[1] ?? '') as {
    throughput: { bytesPerSec: number };
  };
  assert.equal(last.throughput.bytesPerSec, 1000);

  unsubscribeA();
  feed.finish({ exitStatus: 0 } as DrainSummary);
  assert.ok(b.ended && c.ended && !a.ended);
  assert.equal(b.events('finished').length, 1);
  assert.equal(a.events('finished').length, 0);
  t.mock.timers.tick(5000);
  assert.equal(builds, 6, 'no tick after the feed finished');
  const late = new Viewer();
  feed.subscribe(late);
  assert.ok(late.ended && late.events('finished').length === 1);
});

test('SnapshotFeed: no viewer, no timer; the history is kept for the next viewer', (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  let builds = 0;
  let delivered = 0;
  const feed = new SnapshotFeed(
    () => {
      builds++;
      return fakeSnapshot(Date.now());
    },
    () => delivered,
  );
  t.mock.timers.tick(10_000);
  assert.equal(builds, 0, 'nobody watching: nothing built');
  const first = new Viewer();
  const unsubscribe = feed.subscribe(first);
  // Two ticks of warm-up (THROUGHPUT_RATE), then three points.
  for (let i = 0; i < 5; i++) {
    delivered += 3000;
    t.mock.timers.tick(1000);
  }
  unsubscribe();
  assert.equal(feed.viewerCount, 0);
  const builtWhileWatched = builds;
  t.mock.timers.tick(10_000);
  assert.equal(builds, builtWhileWatched, 'the last viewer left: the timer stopped');
  const next = new Viewer();
  feed.subscribe(next);
  const history = JSON.parse(next.events('history')[0]?.split('data: ')[1] ?? '') as unknown[];
  assert.equal(history.length, 3);
});

test('SnapshotFeed: acknowledgements in bursts seconds apart never read as 0 B/s', (t) => {
  // What a 60 KiB/s reader on loopback looks like: its window opens 300 KiB every 5 s. A rate
  // over the last three ticks read 0 B/s two ticks in five beside a row moving at 60 KiB/s.
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  let delivered = 0;
  let ticks = 0;
  const feed = new SnapshotFeed(
    () => {
      if (++ticks % 5 === 0) delivered += 300 * 1024;
      return fakeSnapshot(Date.now());
    },
    () => delivered,
  );
  const viewer = new Viewer();
  feed.subscribe(viewer);
  for (let i = 0; i < 120; i++) t.mock.timers.tick(1000);
  const rates = viewer
    .events('status')
    .map(
      (m) =>
        JSON.parse(m.split('data: ')[1] ?? '') as { throughput: { bytesPerSec: number } | null },
    )
    .flatMap((d) => (d.throughput === null ? [] : [d.throughput.bytesPerSec]))
    .slice(10);
  assert.ok(rates.length > 100);
  for (const rate of rates) {
    assert.ok(rate > 0.6 * 60 * 1024 && rate < 1.6 * 60 * 1024, `throughput ${rate} B/s`);
  }
});
