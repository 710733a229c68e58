/**
 * The limits on the status page (issue 13), in a real headless Chromium: the connection caps in
 * use of their maximum, the connections they refused, the rates in force, and a drain lifting
 * them; with no limit set the cards are left out.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { stopAll } from '../helpers/ebb-process.js';
import { startWithAdmin, throttledDownload } from '../helpers/live-server.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { adminFetch } from '../helpers/admin.js';
import { download } from '../helpers/http-client.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const file = await writeRandomFile(root.path, 'disc.iso', 2 * 1024 * 1024);

const cardText = (page: Page, id: string): Promise<string | null> =>
  page.locator(`#${id}`).textContent();

test('status page: caps in use of their maximum, refusals, rates in force, lifted by the drain', async () => {
  const browser = await launchBrowser();
  after(() => browser.close());
  const { server, adminPort } = await startWithAdmin(
    root.path,
    '--max-connections',
    '50',
    '--max-connections-per-ip',
    '3',
    '--rate-total',
    '4MiB/s',
    '--rate-per-connection',
    '1MiB/s',
  );
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`http://127.0.0.1:${adminPort}/`);
  await page.locator('#link', { hasText: 'live' }).waitFor();

  // Three downloads read at 300 KB/s (about 7 s each) fill the per-IP cap; a fourth is refused.
  const held = Array.from({ length: 3 }, () =>
    throttledDownload(server.port, `/${file.name}`, 300_000),
  );
  await Promise.all(held.map((d) => d.gotHead));
  const refused = await download(server.port, `/${file.name}`);
  assert.equal(refused.status, 503);

  await page.locator('#cap-per-ip', { hasText: '3 of 3' }).waitFor();
  await page.locator('#cap-refused', { hasText: '1 (1 per-IP, 0 total)' }).waitFor();
  assert.equal(await page.locator('#limits').isVisible(), true);
  assert.equal(await cardText(page, 'cap-total'), '3 of 50');
  assert.match((await cardText(page, 'rate-total')) ?? '', /^4\.0 MiB\/s/);
  assert.equal(await cardText(page, 'rate-per-connection'), '1.0 MiB/s');
  await screenshot(page, 'limits');

  // A drain lifts the rates (--drain-lift-limits on, the default); the page says so.
  assert.equal((await adminFetch(adminPort, 'POST', '/drain')).status, 202);
  await page.locator('#rate-total', { hasText: '4.0 MiB/s, lifted by the drain' }).waitFor();
  assert.equal(await cardText(page, 'rate-per-connection'), '1.0 MiB/s, lifted by the drain');
  for (const d of held) assert.equal((await d.result).sha256, file.sha256);
  assert.equal((await server.exited).code, 0);
});

test('status page: with no limit set, no limits cards', async () => {
  const browser = await launchBrowser();
  after(() => browser.close());
  const { server, adminPort } = await startWithAdmin(root.path);
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${adminPort}/`);
  await page.locator('#link', { hasText: 'live' }).waitFor();
  await page.locator('#uptime', { hasText: /\d/ }).waitFor();
  assert.equal(await page.locator('#limits').isVisible(), false);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
});
