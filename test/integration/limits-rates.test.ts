/**
 * Rate limits against the real server: a per-connection rate holds, clients sharing --rate-total
 * each get their share (±10 %), /status shows the limits, a drain lifts them, and a reload's
 * rates apply to a download in flight.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { connectTo, download, requestText, startDownload } from '../helpers/http-client.js';
import { adminFetch, adminPortOf, runAdminCommand } from '../helpers/admin.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const file = await writeRandomFile(root.path, 'disc.iso', 4 * 1024 * 1024);
const base = ['--listen', '127.0.0.1:0', '--access-log', 'off'];

test('--rate-per-connection 1MB/s: a 2 MiB download takes about 2 s and arrives intact', async () => {
  const server = await startEbb([...base, '--rate-per-connection', '1MB/s', root.path]);
  const startMs = Date.now();
  const result = await download(server.port, `/${file.name}`, {
    headers: { Range: 'bytes=0-2097151' },
  });
  const elapsedMs = Date.now() - startMs;
  assert.equal(result.status, 206);
  assert.equal(result.bodyBytes, 2 * 1024 * 1024);
  // 2,097,152 bytes at 1,000,000 B/s, less the first grant's burst; the client reads at once.
  assert.ok(elapsedMs >= 1800 && elapsedMs < 3500, `took ${elapsedMs} ms`);
});

/** Counts what each of `sockets` receives from `fromMs` to `toMs` (reading as fast as it can). */
function countWindow(sockets: readonly Socket[], fromMs: number, toMs: number): Promise<number[]> {
  const counts = sockets.map(() => 0);
  sockets.forEach((socket, i) =>
    socket.on('data', (chunk: Buffer) => {
      const nowMs = Date.now();
      if (nowMs >= fromMs && nowMs < toMs) counts[i] = (counts[i] ?? 0) + chunk.length;
    }),
  );
  return new Promise((resolve) => setTimeout(() => resolve(counts), toMs - Date.now()));
}

test('--rate-total 4MB/s shared by 100 clients: each gets its share within ±10 %, the sum the rate', async () => {
  const rate = 4_000_000;
  const count = 100;
  const server = await startEbb([
    ...base,
    '--rate-total',
    '4MB/s',
    '--admin',
    '127.0.0.1:0',
    root.path,
  ]);
  const sockets = await Promise.all(Array.from({ length: count }, () => connectTo(server.port)));
  for (const socket of sockets) socket.write(requestText(`/${file.name}`));
  const startMs = Date.now();
  // A warm-up second (first grants, the burst), then a 4 s window.
  const counts = await countWindow(sockets, startMs + 1000, startMs + 5000);
  const status = JSON.parse(
    (await adminFetch(adminPortOf(server.stderr.lines), 'GET', '/status')).body,
  ) as {
    limits: {
      rateTotal: number;
      ratePerConnection: number | null;
      lifted: boolean;
      waitingForTotal: number;
    };
  };
  for (const socket of sockets) socket.destroy();
  const share = rate / count;
  const perSecond = counts.map((bytes) => bytes / 4);
  const total = perSecond.reduce((sum, value) => sum + value, 0);
  const worst = Math.max(...perSecond.map((value) => Math.abs(value - share) / share));
  console.log(
    `# ${count} clients: share ${share} B/s; min ${Math.min(...perSecond)}, max ${Math.max(...perSecond)}, total ${total} B/s; worst deviation ${(worst * 100).toFixed(1)} %`,
  );
  assert.ok(worst <= 0.1, `a client was ${(worst * 100).toFixed(1)} % off its share`);
  assert.ok(Math.abs(total - rate) / rate <= 0.1, `total ${total} B/s`);
  assert.equal(status.limits.rateTotal, rate);
  assert.equal(status.limits.ratePerConnection, null);
  assert.equal(status.limits.lifted, false);
});

test('a drain lifts the limits (--drain-lift-limits on, the default): a throttled download then finishes at once', async () => {
  const server = await startEbb([...base, '--rate-total', '100KB/s', root.path]);
  const slow = startDownload(server.port, `/${file.name}`);
  await slow.started;
  const drainAtMs = Date.now();
  server.child.kill('SIGINT');
  const result = await slow.result;
  assert.equal(result.sha256, file.sha256);
  // 4 MiB at 100 KB/s would take 40 s.
  assert.ok(Date.now() - drainAtMs < 5000, `finished ${Date.now() - drainAtMs} ms after SIGINT`);
  assert.equal((await server.exited).code, 0);
});

/** The rate a download is read at over the next `windowMs`, from its progress callbacks. */
function progressMeter(): {
  readonly onProgress: (bodyBytes: number) => void;
  rateOver(windowMs: number): Promise<number>;
} {
  let received = 0;
  return {
    onProgress: (bodyBytes) => (received = bodyBytes),
    rateOver: (windowMs) => {
      const before = received;
      return new Promise((resolve) =>
        setTimeout(() => resolve(((received - before) * 1000) / windowMs), windowMs),
      );
    },
  };
}

test('a reload lowering --rate-total, then setting --rate-per-connection, slows a download in flight at once', async () => {
  const big = await writeRandomFile(root.path, 'big.iso', 8 * 1024 * 1024);
  const configPath = join(root.path, 'rates.toml');
  const tokenFile = join(root.path, 'rates.token');
  const writeConfig = (rates: string): Promise<void> =>
    writeFile(
      configPath,
      `root = ${JSON.stringify(root.path)}\nlisten = ["127.0.0.1:0"]\naccess-log = "off"\n` +
        `admin = "127.0.0.1:0"\nadmin-token-file = ${JSON.stringify(tokenFile)}\n${rates}\n`,
    );
  await writeConfig('rate-total = "2MB/s"');
  const server = await startEbb(['--config', configPath]);
  const adminPort = adminPortOf(server.stderr.lines);
  const meter = progressMeter();
  const running = startDownload(server.port, `/${big.name}`, { onProgress: meter.onProgress });
  await running.started;
  await meter.rateOver(300); // past the first grants' burst
  const measured = async (rates: string, expected: number): Promise<number> => {
    await writeConfig(rates);
    const reloaded = await runAdminCommand('reload', adminPort, tokenFile);
    assert.equal(reloaded.code, 0, reloaded.out);
    await meter.rateOver(200); // the grant issued before the reload
    const rate = await meter.rateOver(1500);
    assert.ok(Math.abs(rate - expected) / expected <= 0.25, `${rate} B/s, not ${expected} B/s`);
    return rate;
  };
  const before = await meter.rateOver(1000);
  assert.ok(Math.abs(before - 2_000_000) / 2_000_000 <= 0.25, `${before} B/s before the reload`);
  const lowered = await measured('rate-total = "500KB/s"', 500_000);
  const perConnection = await measured(
    'rate-total = "4MB/s"\nrate-per-connection = "250KB/s"',
    250_000,
  );
  console.log(
    `# one download: ${Math.round(before)} B/s at --rate-total 2MB/s; ${Math.round(lowered)} B/s ` +
      `after a reload to 500KB/s; ${Math.round(perConnection)} B/s after one to --rate-per-connection 250KB/s`,
  );
  server.child.kill('SIGINT'); // lifts the limits: the rest arrives at once
  assert.equal((await running.result).sha256, big.sha256);
  assert.equal((await server.exited).code, 0);
});
