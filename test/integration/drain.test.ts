/**
 * The drain contract (DESIGN.md), against the real server process: real signals, real slow
 * clients on 127.0.0.1, sha256 of every download checked.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, sha256, writeRandomFile, type Fixture } from '../helpers/fixtures.js';
import {
  connectTo as connectVia,
  download as downloadVia,
  readResponse,
  requestText,
  startDownload as startDownloadVia,
  type Download,
  type DownloadOptions,
} from '../helpers/http-client.js';
import { listenerVariants } from '../helpers/listener-variants.js';
import { parseResponses } from '../helpers/raw-http.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
// Bigger than what loopback socket buffers can absorb, so downloads are truly in flight.
const big: Fixture = await writeRandomFile(root.path, 'big.iso', 12 * 1024 * 1024);
const small: Fixture = await writeRandomFile(root.path, 'small.bin', 1024);
const mid: Fixture = await writeRandomFile(root.path, 'mid.iso', 1536 * 1024);

/** Resolves with the ms from now until a connect to `port` is refused. */
async function timeUntilRefused(port: number, limitMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    if (refused) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`connections still accepted ${limitMs} ms after the drain began`);
}

const { variants, remove: removeCertificate } = await listenerVariants();
after(removeCertificate);

// Every test runs on a plain and on a TLS listener, with the same assertions.
for (const { suffix, listenArgs, transport } of variants) {
  const serveArgs = (...extra: string[]): string[] => [
    ...listenArgs,
    '--access-log',
    'off',
    ...extra,
    root.path,
  ];
  const connectTo = (port: number): Promise<Socket> => connectVia(port, '127.0.0.1', transport);
  const download = (port: number, path: string, options: DownloadOptions = {}): Promise<Download> =>
    downloadVia(port, path, { ...options, transport });
  const startDownload = (port: number, path: string, options: DownloadOptions = {}) =>
    startDownloadVia(port, path, { ...options, transport });

  test(`SIGINT: 20 slow downloads in flight all finish intact; new connects refused fast; exit follows the last byte${suffix}`, async () => {
    const server = await startEbb(serveArgs());
    // Throttled readers at 100–385 KB/s: the slowest needs ~15 s for its 1.5 MiB.
    const rates = Array.from({ length: 20 }, (_, i) => 100_000 + i * 15_000);
    let started = 0;
    let allStarted!: () => void;
    const inFlight = new Promise<void>((resolve) => (allStarted = resolve));
    const downloads = rates.map((rate) => {
      let counted = false;
      return download(server.port, `/${mid.name}`, {
        bytesPerSecond: rate,
        onProgress: (bytes) => {
          if (!counted && bytes >= 128 * 1024) {
            counted = true;
            if (++started === rates.length) allStarted();
          }
        },
      });
    });
    await inFlight;
    const exitAt = server.exited.then((exit) => ({ exit, atMs: Date.now() }));
    server.child.kill('SIGINT');
    const refusedAfterMs = await timeUntilRefused(server.port, 1000);
    const results: Download[] = await Promise.all(downloads);
    const { exit, atMs: exitAtMs } = await exitAt;
    for (const result of results) {
      assert.equal(result.status, 200);
      assert.equal(result.bodyBytes, mid.size);
      assert.equal(result.sha256, mid.sha256);
    }
    const lastByteAtMs = Math.max(...results.map((r) => r.lastByteAtMs));
    assert.equal(exit.code, 0);
    assert.ok(refusedAfterMs < 1000, `refused after ${refusedAfterMs} ms`);
    assert.ok(
      exitAtMs >= lastByteAtMs,
      'the server exited before the last client had its last byte',
    );
    assert.ok(
      exitAtMs - lastByteAtMs < 1000,
      `exit ${exitAtMs - lastByteAtMs} ms after the last byte`,
    );
    assert.match(server.stderr.text(), /drain finished in .*20 downloads completed.* 0 cut/);
    console.log(
      `# refuse latency ${refusedAfterMs} ms; exit ${exitAtMs - lastByteAtMs} ms after the last client's last byte`,
    );
  });

  test(`idle keep-alive connections: a request inside the last-request window is answered with Connection: close, then idle ones close${suffix}`, async () => {
    const server = await startEbb(serveArgs('--last-request-window', '1s'));
    const racer = await connectTo(server.port);
    const first = readResponse(racer);
    racer.write(requestText(`/${small.name}`));
    assert.equal((await first).headers.get('connection'), undefined);
    const idle = await connectTo(server.port);
    const idleClosed = once(idle, 'close');
    const idleFirst = readResponse(idle);
    idle.write(requestText(`/${small.name}`));
    await idleFirst;

    const drainAtMs = Date.now();
    server.child.kill('SIGINT');
    await server.stderr.waitFor(/draining \(SIGINT\)/);
    const second = readResponse(racer);
    racer.write(requestText(`/${small.name}`));
    const answered = await second;
    assert.equal(answered.status, 200);
    assert.equal(answered.sha256, small.sha256);
    assert.equal(answered.headers.get('connection'), 'close');
    assert.equal(answered.closedByServer, true);

    await idleClosed;
    const idleCloseMs = Date.now() - drainAtMs;
    assert.ok(
      idleCloseMs >= 900 && idleCloseMs < 2000,
      `idle connection closed after ${idleCloseMs} ms`,
    );
    assert.equal((await server.exited).code, 0);
    console.log(`# idle keep-alive closed ${idleCloseMs} ms after SIGINT (window 1 s)`);
  });

  test(`7 pipelined requests sent before the drain are all answered in order, the last with Connection: close${suffix}`, async () => {
    // Throttled by ebb, so that the drain lands during the first answer (as apt's does).
    const server = await startEbb(serveArgs('--rate-per-connection', '4 MB/s'));
    const socket = await connectTo(server.port);
    const files = [mid, small, small, mid, small, small, small];
    const chunks: Buffer[] = [];
    let signalled = false;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (signalled) return;
      signalled = true; // the first answer has begun: drain now
      server.child.kill('SIGINT');
    });
    socket.write(files.map((f) => requestText(`/${f.name}`)).join(''));
    await once(socket, 'end');
    const { responses, rest } = parseResponses(Buffer.concat(chunks));
    assert.deepEqual(
      responses.map((r) => [r.status, sha256(r.body)]),
      files.map((f) => [200, f.sha256]),
    );
    assert.deepEqual(
      responses.map((r) => r.headers.get('connection') ?? 'keep-alive'),
      [...files.slice(1).map(() => 'keep-alive'), 'close'],
    );
    assert.equal(rest.length, 0);
    socket.end();
    assert.equal((await server.exited).code, 0);
    assert.match(server.stderr.text(), /draining \(SIGINT\)/);
  });

  test(`SIGQUIT drains like SIGINT; a repeated SIGINT reports progress instead of escalating${suffix}`, async () => {
    const server = await startEbb(serveArgs());
    const slowDownload = startDownload(server.port, `/${big.name}`, { bytesPerSecond: 3_000_000 });
    const slow = slowDownload.result;
    await slowDownload.started;
    server.child.kill('SIGQUIT');
    await server.stderr.waitFor(/draining \(SIGQUIT\)/);
    server.child.kill('SIGINT');
    await server.stderr.waitFor(/drain in progress: /);
    const result = await slow;
    assert.equal(result.sha256, big.sha256);
    assert.equal((await server.exited).code, 0);
  });

  test(`a stalled client is cut by the write-idle timeout while the drain goes on, and logged${suffix}`, async () => {
    const server = await startEbb(serveArgs('--write-idle-timeout', '2s'));
    const stalled = await connectTo(server.port);
    stalled.on('error', () => undefined);
    let stalledHead!: () => void;
    const stalledGotHead = new Promise<void>((resolve) => (stalledHead = resolve));
    stalled.once('data', () => {
      stalled.pause(); // never reads again
      stalledHead();
    });
    stalled.write(requestText(`/${big.name}`));
    await stalledGotHead;
    const slowDownload = startDownload(server.port, `/${big.name}`, { bytesPerSecond: 2_000_000 });
    const slow = slowDownload.result;
    await slowDownload.started;
    server.child.kill('SIGINT');
    const result = await slow;
    assert.equal(result.sha256, big.sha256);
    const exit = await server.exited;
    assert.equal(
      exit.code,
      0,
      'a stalled client cut by the timeout does not make the drain a cut one',
    );
    assert.match(
      server.stderr.text(),
      /cut \(timeout\): 127\.0\.0\.1:\d+ \/big\.iso after \d+ of 12582912 bytes/,
    );
    stalled.destroy();
  });

  test(`the drain deadline cuts what remains, logs each cut download, and exits 3${suffix}`, async () => {
    const server = await startEbb(serveArgs('--drain-timeout', '1s'));
    const slowDownload = startDownload(server.port, `/${big.name}`, { bytesPerSecond: 500_000 });
    const slow = slowDownload.result;
    await slowDownload.started;
    server.child.kill('SIGINT');
    await assert.rejects(slow, /connection closed after/);
    const exit = await server.exited;
    assert.equal(exit.code, 3);
    assert.match(
      server.stderr.text(),
      /cut \(deadline\): 127\.0\.0\.1:\d+ \/big\.iso after \d+ of 12582912 bytes/,
    );
    assert.match(server.stderr.text(), /drain finished in .* 1 cut; exit status 3/);
  });

  test(`SIGTERM stops at once: downloads cut and logged, exit 3${suffix}`, async () => {
    const server = await startEbb(serveArgs());
    const slowDownload = startDownload(server.port, `/${big.name}`, { bytesPerSecond: 500_000 });
    const slow = slowDownload.result;
    await slowDownload.started;
    const termAtMs = Date.now();
    server.child.kill('SIGTERM');
    await assert.rejects(slow, /connection closed after/);
    const exit = await server.exited;
    assert.equal(exit.code, 3);
    assert.ok(Date.now() - termAtMs < 1000);
    assert.match(server.stderr.text(), /cut \(stopped\): 127\.0\.0\.1:\d+ \/big\.iso/);
  });

  test(`300 concurrent slow downloads drain with none lost${suffix}`, async () => {
    const server = await startEbb(serveArgs());
    const count = 300;
    let started = 0;
    let allStarted!: () => void;
    const inFlight = new Promise<void>((resolve) => (allStarted = resolve));
    const downloads = Array.from({ length: count }, (_, i) => {
      let counted = false;
      return download(server.port, `/${mid.name}`, {
        bytesPerSecond: 200_000 + (i % 10) * 20_000,
        onProgress: (bytes) => {
          if (!counted && bytes >= 64 * 1024) {
            counted = true;
            if (++started === count) allStarted();
          }
        },
      });
    });
    await inFlight;
    const exitAt = server.exited.then((exit) => ({ exit, atMs: Date.now() }));
    server.child.kill('SIGINT');
    const results = await Promise.all(downloads);
    const { exit, atMs } = await exitAt;
    assert.equal(results.filter((r) => r.sha256 === mid.sha256).length, count);
    assert.equal(exit.code, 0);
    assert.ok(atMs >= Math.max(...results.map((r) => r.lastByteAtMs)));
    assert.match(server.stderr.text(), new RegExp(`${count} downloads completed.* 0 cut`));
  });
}
