/**
 * What the status page shows, checked in headless Chromium against a real server: long file
 * names cut on the left, a throughput card that agrees with the rows, rates that hold between
 * a slow reader's acknowledgement bursts, the drain deadline and what it will cut, a page
 * cleared of stale rows with the cut downloads listed once the server is gone, and the
 * server's warnings as text.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:http';
import type { Page } from 'playwright-core';
import { stopAll } from '../helpers/ebb-process.js';
import { startWithAdmin } from '../helpers/live-server.js';
import { connectTo, requestText } from '../helpers/http-client.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { adminFetch } from '../helpers/admin.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import type { FeedStatus } from '../../src/admin/snapshot-feed.js';

after(stopAll);

const KiB = 1024;
const MiB = 1024 * KiB;
/** Two names longer than the file column at 1280 px that differ only at their end. */
const DIR = 'pub/debian-cd/13.2.0-live/amd64/iso-hybrid';
const GNOME = `${DIR}/debian-live-13.2.0-amd64-gnome+nonfree+firmware-desktop.iso`;
const KDE = `${DIR}/debian-live-13.2.0-amd64-kde-plasma+nonfree+firmware-desktop.iso`;

const root = await makeTempDir();
after(root.remove);
await mkdir(join(root.path, DIR), { recursive: true });
await writeRandomFile(root.path, GNOME, 24 * MiB);
await writeRandomFile(root.path, KDE, 24 * MiB);

const browser = await launchBrowser();
after(() => browser.close());

interface SlowReader {
  /** Resolves once the response has begun to arrive. */
  readonly started: Promise<void>;
}

/**
 * A GET read no faster than `bytesPerSecond`, stopped (socket and timer) when the test ends:
 * a cut download's client would otherwise read its receive buffer out at that pace.
 */
async function slowReader(port: number, path: string, bytesPerSecond: number): Promise<SlowReader> {
  const socket = await connectTo(port);
  let timer: NodeJS.Timeout | undefined;
  after(() => {
    clearTimeout(timer);
    socket.destroy();
  });
  const startMs = Date.now();
  let bytes = 0;
  const started = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    const waitMs = startMs + (bytes / bytesPerSecond) * 1000 - Date.now();
    if (waitMs <= 0) return;
    socket.pause();
    timer = setTimeout(() => socket.resume(), waitMs);
  });
  socket.write(requestText(path));
  return { started };
}

interface NameGeometry {
  readonly title: string;
  /** The name's last character lies inside the cell (not cut off on the right). */
  readonly endVisible: boolean;
  /** The name's first character lies left of the cell (it was cut on the left). */
  readonly startCut: boolean;
}

/** Where the name `name` (a path ending) lies in its file cell. */
function nameGeometry(page: Page, name: string): Promise<NameGeometry> {
  return page.evaluate((name) => {
    const cell = [...document.querySelectorAll<HTMLElement>('#rows td.path')].find((td) =>
      (td.textContent ?? '').includes(name),
    );
    if (cell === undefined) throw new Error(`no row shows ${name}`);
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let text: Text | null = null;
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      if ((node as Text).data.includes(name)) text = node as Text;
    }
    if (text === null) throw new Error(`${name} is not one text node`);
    const start = text.data.indexOf(name);
    const range = document.createRange();
    range.setStart(text, start + name.length - 1);
    range.setEnd(text, start + name.length);
    const last = range.getBoundingClientRect();
    range.setStart(text, start);
    range.setEnd(text, start + 1);
    const first = range.getBoundingClientRect();
    const box = cell.getBoundingClientRect();
    return {
      title: cell.title,
      endVisible: last.right <= box.right + 0.5 && last.left >= box.left,
      startCut: first.left < box.left,
    };
  }, name);
}

async function assertCutOnTheLeft(page: Page, path: string, width: number): Promise<void> {
  const geometry = await nameGeometry(page, `/${path}`);
  assert.equal(geometry.title, `/${path}`, `the full name on hover at ${width} px`);
  assert.ok(geometry.endVisible, `the end of /${path} is visible at ${width} px`);
  assert.ok(geometry.startCut, `/${path} is cut on the left at ${width} px`);
}

/** The `status` events of the server's feed, as the page receives them. */
function watchFeed(adminPort: number): { readonly events: FeedStatus[]; stop(): void } {
  const events: FeedStatus[] = [];
  let buffer = '';
  const req = request({ host: '127.0.0.1', port: adminPort, path: '/events' }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!message.startsWith('event: status\n')) continue;
        events.push(JSON.parse(message.slice(message.indexOf('data: ') + 6)) as FeedStatus);
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { events, stop: () => req.destroy() };
}

interface Tick {
  readonly throughput: string;
  readonly rates: string[];
}

/** Records the throughput card and the rate cells each time the table is redrawn. */
async function recordTicks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const ticks: Tick[] = [];
    (globalThis as unknown as { ticks: Tick[] }).ticks = ticks;
    new MutationObserver(() => {
      ticks.push({
        throughput: document.getElementById('throughput')?.textContent ?? '',
        rates: [...document.querySelectorAll('#rows td.rate')].map((td) => td.textContent ?? ''),
      });
    }).observe(document.getElementById('rows') as HTMLElement, { childList: true });
  });
}

function ticksOf(page: Page): Promise<Tick[]> {
  return page.evaluate(() => (globalThis as unknown as { ticks: Tick[] }).ticks);
}

const isRate = (text: string): boolean => /^[\d.]+ (B|KiB|MiB|GiB)\/s$/.test(text);
const isMovingRate = (text: string): boolean => isRate(text) && text !== '0 B/s';

test('status page: one slow reader: throughput never 0 B/s beside its row, its rate held between bursts, its name cut on the left', async () => {
  const { server, adminPort } = await startWithAdmin(root.path);
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(`http://127.0.0.1:${adminPort}/`);
  await page.locator('#link', { hasText: 'live' }).waitFor();
  await recordTicks(page);
  const feed = watchFeed(adminPort);
  after(() => feed.stop());

  // 60 KiB/s read on loopback: the kernel acknowledges in bursts of a few hundred KiB, seconds
  // apart. A throughput over the last 3 s read 0 B/s two seconds in five.
  const slow = await slowReader(server.port, `/${GNOME}`, 60 * KiB);
  await slow.started;
  await page.waitForFunction(
    () => {
      const ticks = (globalThis as unknown as { ticks: Tick[] }).ticks;
      const first = ticks.findIndex((t) => t.rates.some((r) => /\d/.test(r) && r !== '0 B/s'));
      return first !== -1 && ticks.length - first >= 14;
    },
    undefined,
    { timeout: 40_000, polling: 500 },
  );
  const moving = (await ticksOf(page)).filter((t) => t.rates.some(isMovingRate));
  assert.ok(moving.length >= 14, `the row showed a rate ${moving.length} times`);
  for (const tick of moving) {
    assert.ok(isRate(tick.throughput), `throughput shown: ${tick.throughput}`);
    assert.notEqual(
      tick.throughput,
      '0 B/s',
      `throughput ${tick.throughput} beside ${tick.rates.join(', ')}`,
    );
  }

  // The forecast rests on the row's rate: it holds while no acknowledgement arrives, rather
  // than falling each second until the next burst (10 s average: 43 s → 8 h 49 m → 1 m).
  const rows = feed.events.flatMap((e) =>
    e.status.connections.filter((r) => r.rateBytesPerSec > 0),
  );
  let held = 0;
  for (let i = 1; i < rows.length; i++) {
    const [before, now] = [rows[i - 1], rows[i]];
    if (before === undefined || now === undefined || before.bytesAcked !== now.bytesAcked) continue;
    held++;
    assert.equal(now.rateBytesPerSec, before.rateBytesPerSec, 'no acknowledgement, same rate');
  }
  assert.ok(held > 0, `the reader's acknowledgements came in bursts (${rows.length} samples)`);

  // Long names: the end (what tells rows apart) stays; the full name is on hover.
  await assertCutOnTheLeft(page, GNOME, 1280);
  await screenshot(page, 'slow-reader-1280');
  await page.setViewportSize({ width: 420, height: 800 });
  await page.locator('#rows td.path').first().waitFor();
  await assertCutOnTheLeft(page, GNOME, 420);
  await screenshot(page, 'slow-reader-420');

  server.child.kill('SIGTERM');
  assert.equal((await server.exited).code, 3, 'SIGTERM cut the download');
});

test('status page: a drain deadline shows with what it will cut; after exit no stale rows and the cuts listed', async () => {
  const { server, adminPort } = await startWithAdmin(root.path);
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(`http://127.0.0.1:${adminPort}/`);
  await page.locator('#link', { hasText: 'live' }).waitFor();

  const readers = await Promise.all([
    slowReader(server.port, `/${GNOME}`, 100 * KiB),
    slowReader(server.port, `/${KDE}`, 200 * KiB),
  ]);
  await Promise.all(readers.map((r) => r.started));
  assert.equal((await adminFetch(adminPort, 'POST', '/drain?timeout=15s')).status, 202);

  // The deadline, counting down, and what it means at current rates.
  const deadline = page.locator('#deadline');
  await deadline.filter({ hasText: /\(in / }).waitFor();
  assert.match((await deadline.textContent()) ?? '', /^deadline \d\d:\d\d:\d\d \(in \d+s\)$/);
  // Both, once both rates are measured (each download's first seconds have none).
  const banner = page.locator('#banner', { hasText: /2 downloads would not finish by then/ });
  await banner.waitFor({ timeout: 14_000 });
  assert.match(
    (await banner.textContent()) ?? '',
    /Deadline \d\d:\d\d:\d\d \(in \d+s\): whatever remains then is cut; at current rates 2 downloads would not finish by then\./,
  );
  await assertCutOnTheLeft(page, KDE, 1280);
  await screenshot(page, 'deadline-1280');

  // The deadline cuts both; the server exits 3; the page keeps no row and lists the cuts.
  assert.equal((await server.exited).code, 3);
  await page.locator('#link', { hasText: 'server has exited' }).waitFor({ timeout: 15_000 });
  const gone = (await page.locator('#gone').textContent()) ?? '';
  assert.match(
    gone,
    /Drain finished in [\d.]+ s: 0 downloads completed \(0 B\), 2 cut; exit status 3\./,
  );
  const cuts = await page.locator('#gone li').allTextContents();
  assert.equal(cuts.length, 2, `cuts listed: ${cuts.join(' | ')}`);
  for (const path of [GNOME, KDE]) {
    assert.ok(
      cuts.some((c) => c.startsWith('cut (deadline): 127.0.0.1:') && c.includes(`/${path}, `)),
      `${path} is listed as cut`,
    );
  }
  assert.equal(await page.locator('#rows tr').count(), 0, 'no stale row');
  assert.equal(await page.locator('#empty').isVisible(), true);
  assert.equal(await page.locator('#connections').textContent(), '0');
  await screenshot(page, 'gone-1280');
  await page.setViewportSize({ width: 420, height: 800 });
  await screenshot(page, 'gone-420');
});

test('status page: the server warnings show as text, and go when the list is empty', async () => {
  const { server, adminPort } = await startWithAdmin(root.path);
  const snapshot = JSON.parse((await adminFetch(adminPort, 'GET', '/status')).body) as object;
  const hostile = '<img src=x onerror=alert(1)> log /var/log/ebb/access.log: EIO';
  const warnings = [
    { code: 'STDERR_FAILED', message: hostile, count: 3, firstAtMs: 1e12, lastAtMs: 1e12 + 6e4 },
    { code: 'LOG_REOPEN', message: 'reopen failed', count: 1, firstAtMs: 1e12, lastAtMs: 1e12 },
  ];
  let current: unknown[] = warnings;
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  // The server here has no warning to give: the feed is played back with one added.
  await page.route('**/events', (route) =>
    route.fulfill({
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body:
        'retry: 300\n\n' +
        `event: status\ndata: ${JSON.stringify({ status: { ...snapshot, warnings: current }, throughput: null })}\n\n`,
    }),
  );
  await page.goto(`http://127.0.0.1:${adminPort}/`);
  const box = page.locator('#warnings');
  await box.waitFor({ state: 'visible' });
  const items = await page.locator('#warnings li').allTextContents();
  assert.equal(items.length, 2);
  assert.match(
    items[0] ?? '',
    /^<img src=x onerror=alert\(1\)> log .*EIO \(STDERR_FAILED, 3 times, /,
  );
  assert.match(items[1] ?? '', /^reopen failed \(LOG_REOPEN, at \d\d:\d\d:\d\d\)$/);
  assert.equal(await page.locator('img').count(), 0, 'a message is text, not markup');
  await screenshot(page, 'warnings-1280');

  current = [];
  await box.waitFor({ state: 'hidden', timeout: 10_000 });
  assert.deepEqual(dialogs, []);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
});
