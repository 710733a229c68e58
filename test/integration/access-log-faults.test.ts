/**
 * A log write failure never stops serving (issue 12.8): a full log disk (a small tmpfs the test
 * mounts itself), then space freed: every request is served, the failure is told once and shown
 * in /status and /metrics, and lines are written again without a restart. Also: the log is
 * created 0640, and a hostile 16 KiB request head makes a bounded line.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { download } from '../helpers/http-client.js';
import { adminFetch, adminPortOf } from '../helpers/admin.js';
import { argsWithAdminAndLog } from '../helpers/live-server.js';
import { exchange, waitForLogLine } from '../helpers/raw-http.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const small = await writeRandomFile(root.path, 'small.bin', 1000);
const work = await makeTempDir();
after(work.remove);

const serveArgs = (log: string): string[] => argsWithAdminAndLog(root.path, log);

/** Mounts a tmpfs of `sizeBytes` at a new folder; null when this machine does not allow it. */
function mountSmallDisk(sizeBytes: number): string | null {
  const path = mkdtempSync(join(tmpdir(), 'ebb-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', path], {
      stdio: 'ignore',
    });
  } catch {
    rmdirSync(path);
    return null;
  }
  // Unmounted before the folder is removed (after hooks run in order).
  after(() => {
    execFileSync('umount', [path]);
    rmdirSync(path);
  });
  return path;
}

/** Appends to `path` until the disk says ENOSPC. */
async function fillDisk(path: string): Promise<void> {
  const chunk = Buffer.alloc(4096, 0x2e);
  for (let i = 0; i < 100_000; i++) {
    try {
      await appendFile(path, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw error;
    }
  }
  throw new Error('the disk never filled');
}

const diskPath = mountSmallDisk(256 * 1024);

test(
  'a full log disk: every request served, the failure told once, lines written again once space is freed',
  { skip: diskPath === null ? 'cannot mount a tmpfs here (needs root)' : false },
  async () => {
    const disk = diskPath ?? '';
    const logPath = join(disk, 'access.log');
    const server = await startEbb(serveArgs(logPath));
    const adminPort = adminPortOf(server.stderr.lines);
    await download(server.port, `/${small.name}`, { headers: { 'User-Agent': 'before-full' } });
    await waitForLogLine(logPath, /"before-full"/);

    const filler = join(disk, 'filler');
    await fillDisk(filler);
    const told = server.stderr.waitFor(/cannot write the access log .*: ENOSPC/);
    for (let i = 0; i < 300; i++) {
      const got = await download(server.port, `/${small.name}`, {
        headers: { 'User-Agent': `while-full-${i}` },
      });
      assert.equal(got.sha256, small.sha256);
    }
    await told;
    const status = JSON.parse((await adminFetch(adminPort, 'GET', '/status')).body) as {
      warnings: Array<{ code: string; count: number }>;
    };
    assert.equal(status.warnings[0]?.code, 'ACCESS_LOG_WRITE');
    const metrics = (await adminFetch(adminPort, 'GET', '/metrics')).body;
    assert.match(metrics, /^ebb_warnings_total\{code="ACCESS_LOG_WRITE"\} [1-9]/m);
    // Told once; a summary with a count may follow after 10 s (a slow machine), never one per line.
    const failures = server.stderr.lines.filter(
      (l) => /cannot write the access log/.test(l) && !/more times? in the last/.test(l),
    );
    assert.equal(failures.length, 1, 'told once, not once per request or retry');

    const resumed = server.stderr.waitFor(/access log .* written again after [\d.]+ s/);
    await rm(filler);
    await resumed;
    await download(server.port, `/${small.name}`, { headers: { 'User-Agent': 'after-freed' } });
    await waitForLogLine(logPath, /"after-freed"/);
    // Lines held while the disk was full come out whole, before the newer ones.
    const text = await readFile(logPath, 'utf8');
    assert.ok(text.indexOf('"while-full-0"') < text.indexOf('"after-freed"'));
    for (const line of text.trimEnd().split('\n')) assert.match(line, / complete$/);

    server.child.kill('SIGINT');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  },
);

test('the access log is created 0640; a hostile 16 KiB head makes a line of at most about 8 KiB', async () => {
  const dir = join(work.path, 'logs');
  await mkdir(dir);
  const logPath = join(dir, 'access.log');
  const server = await startEbb(serveArgs(logPath));
  assert.equal((await stat(logPath)).mode & 0o777, 0o640 & ~process.umask());

  // Every byte of these fields is escaped to four: 40 KiB of line before the bound.
  const hostile = '"'.repeat(5000);
  const { responses } = await exchange(
    server.port,
    `GET /${small.name}?${hostile} HTTP/1.1\r\nHost: t\r\nUser-Agent: ${hostile}\r\n` +
      `Referer: ${hostile}\r\n\r\n`,
  );
  assert.equal(responses[0]?.status, 200);
  const line = await waitForLogLine(logPath, /\\x22\\x22/);
  assert.ok(line.length < 8400, `a ${line.length}-character line`);
  assert.match(line, /\.\.\." 200 1000 "(\\x22)+\.\.\." "(\\x22)+\.\.\." \d+\.\d{3} complete$/);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
});
