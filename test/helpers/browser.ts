/**
 * Headless Chromium for the status page tests: Debian's /usr/bin/chromium driven by
 * playwright-core (no browser download). Screenshots go to a temp folder and are announced as
 * `# screenshot: PATH` so whoever runs the suite can look at them.
 */
import { access, constants, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  // CI installs chromium (.ci/run); a machine without it fails here rather than skipping.
  await access(CHROMIUM, constants.X_OK).catch((error: unknown) => {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium`, { cause: error });
  });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

let shots: Promise<string> | null = null;

/** A full-page screenshot named `name`.png; prints its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  shots ??= mkdtemp(join(tmpdir(), 'ebb-status-page-'));
  const path = join(await shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`# screenshot: ${path}`);
  return path;
}
