/**
 * The status page in a real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core): a throttled download's progress bar moves, a drain shows its banner, the
 * server's exit shows the page gone, and a hostile file name is text, not markup.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { stopAll } from '../helpers/ebb-process.js';
import { startWithAdmin, throttledDownload } from '../helpers/live-server.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { adminFetch } from '../helpers/admin.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';

after(stopAll);

const HOSTILE = '<img src=x onerror=alert(1)>.bin';

const root = await makeTempDir();
after(root.remove);
const big = await writeRandomFile(root.path, 'big.iso', 24 * 1024 * 1024);
const hostile = await writeRandomFile(root.path, HOSTILE, 12 * 1024 * 1024);

/** The percent shown in the row whose file cell contains `name`. */
async function percentOf(page: Page, name: string): Promise<number> {
  const text = await page
    .locator('#rows tr', { has: page.locator('td.path', { hasText: name }) })
    .locator('.pct')
    .textContent();
  return Number.parseFloat(text ?? '');
}

test('status page: live progress, drain banner, server gone, hostile names as text', async () => {
  const browser = await launchBrowser();
  after(() => browser.close());
  const { server, adminPort } = await startWithAdmin(root.path);
  const origin = `http://127.0.0.1:${adminPort}`;

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const foreign: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(origin)) foreign.push(request.url());
  });
  const response = await page.goto(`${origin}/`);
  assert.equal(response?.status(), 200);
  assert.match(response?.headers()['content-security-policy'] ?? '', /default-src 'none'/);
  await page.locator('#link', { hasText: 'live' }).waitFor();

  const slow = throttledDownload(server.port, `/${big.name}`, 2_500_000);
  // Raw `<`, `>` are legal in a target here; `%20` keeps the request line valid.
  const evil = throttledDownload(server.port, `/${HOSTILE.replaceAll(' ', '%20')}`, 1_500_000);
  await Promise.all([slow.gotHead, evil.gotHead]);

  // The progress bar moves: read the percent, wait for a later tick, read it again.
  const bigRow = page.locator('td.path', { hasText: big.name });
  await bigRow.waitFor();
  // Its own row's percent, not the first row's: a tick from before its response began shows
  // '—', and waiting for a percent above NaN would never end.
  const bigPercentAbove = ({ before }: { before: number }): boolean => {
    const cells = [...document.querySelectorAll('#rows tr')].filter((tr) =>
      tr.querySelector('td.path')?.textContent?.includes('big.iso'),
    );
    return Number.parseFloat(cells[0]?.querySelector('.pct')?.textContent ?? '') > before;
  };
  await page.waitForFunction(bigPercentAbove, { before: 0 });
  const first = await percentOf(page, big.name);
  await page.waitForFunction(bigPercentAbove, { before: first }, { timeout: 15_000 });
  const second = await percentOf(page, big.name);
  assert.ok(second > first, `progress grew: ${first}% then ${second}%`);
  const fill = await page
    .locator('#rows tr', { has: bigRow })
    .locator('.fill')
    .evaluate((el) => (el as HTMLElement).style.width);
  assert.match(fill, /^[\d.]+%$/);

  // The hostile name is shown as text; nothing it spells is parsed as markup.
  const evilCell = page.locator('td.path', { hasText: HOSTILE });
  await evilCell.waitFor();
  assert.equal(await evilCell.textContent(), `GET /${HOSTILE}`);
  assert.equal(await page.locator('img').count(), 0, 'no img element was injected');
  assert.deepEqual(dialogs, []);

  // Drain: the banner says what is left and when it should be over.
  assert.equal((await adminFetch(adminPort, 'POST', '/drain')).status, 202);
  const banner = page.locator('#banner');
  await banner.waitFor({ state: 'visible' });
  assert.match((await banner.textContent()) ?? '', /Draining: \d+ connections open, \d+ downloads/);
  // A forecast, or (no rate measured yet: a download's first seconds) the word that none is due;
  // the forecast itself is checked in status-page-figures.
  await page
    .locator('#banner', { hasText: /Last completion forecast at|No forecast yet/ })
    .waitFor();
  assert.match((await page.locator('#state').textContent()) ?? '', /^draining since/);
  await screenshot(page, 'draining');

  // The downloads finish untouched; the server exits; the page says so.
  assert.equal((await slow.result).sha256, big.sha256);
  assert.equal((await evil.result).sha256, hostile.sha256);
  assert.equal((await server.exited).code, 0);
  await page.locator('#link', { hasText: 'server has exited' }).waitFor({ timeout: 15_000 });
  const gone = page.locator('#gone');
  assert.ok(await gone.isVisible());
  assert.match((await gone.textContent()) ?? '', /The server has exited/);
  assert.equal(await banner.isVisible(), false);
  assert.deepEqual(foreign, [], 'the page fetched nothing from elsewhere');
  assert.deepEqual(dialogs, []);
});

test('status page: an events stream that drops while the server lives shows reconnecting, then live', async () => {
  const browser = await launchBrowser();
  after(() => browser.close());
  const { server, adminPort } = await startWithAdmin(root.path);
  const page = await browser.newPage();
  // Fail the stream once, as a proxy dropping it would; the server still answers /status.
  let failures = 0;
  await page.route('**/events', async (route) => {
    if (failures++ === 0) await route.abort('connectionreset');
    else await route.continue();
  });
  await page.goto(`http://127.0.0.1:${adminPort}/`);
  await page.locator('#link', { hasText: 'reconnecting' }).waitFor();
  await page.locator('#link', { hasText: 'live' }).waitFor({ timeout: 15_000 });
  assert.ok(failures >= 2, 'the page reconnected by itself');
  assert.equal(await page.locator('#gone').isVisible(), false);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
  await page.locator('#link', { hasText: 'server has exited' }).waitFor({ timeout: 15_000 });
});
