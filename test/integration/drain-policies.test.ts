/** Drain policies for newcomers, readiness, drain delay, pid files and `ebb stop`. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { spawnEbb, startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import {
  connectTo as connectVia,
  download as downloadVia,
  readResponse,
  startDownload as startDownloadVia,
  type Download,
  type DownloadOptions,
} from '../helpers/http-client.js';
import { listenerVariants } from '../helpers/listener-variants.js';
import { adminFetch, adminPortOf, adminTokenFileOf } from '../helpers/admin.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const big = await writeRandomFile(root.path, 'big.iso', 8 * 1024 * 1024);
const docs = await makeTempDir('ebb-www-');
after(docs.remove);
const small = await writeRandomFile(docs.path, 'small.bin', 2048);

const { variants, remove: removeCertificate } = await listenerVariants();
after(removeCertificate);

// Every test runs on a plain and on a TLS listener, with the same assertions.
for (const { suffix, listenArgs, transport } of variants) {
  const base = (...extra: string[]): string[] => [...listenArgs, '--access-log', 'off', ...extra];
  const connectTo = (port: number): Promise<Socket> => connectVia(port, '127.0.0.1', transport);
  const download = (port: number, path: string, options: DownloadOptions = {}): Promise<Download> =>
    downloadVia(port, path, { ...options, transport });
  const startDownload = (port: number, path: string, options: DownloadOptions = {}) =>
    startDownloadVia(port, path, { ...options, transport });

  function inFlight(port: number, rate: number) {
    const { started, result } = startDownload(port, `/${big.name}`, { bytesPerSecond: rate });
    return { gotHead: started, result };
  }

  test(`--drain-new 503: newcomers get 503 + Retry-After + Connection: close until the last download ends${suffix}`, async () => {
    // No drain delay: this test's own /ready polls would make it a health checker to wait for.
    const server = await startEbb([
      ...base('--drain-new', '503', '--admin', '127.0.0.1:0', '--drain-delay', '0s'),
      root.path,
    ]);
    const admin = adminPortOf(server.stderr.lines);
    assert.equal((await adminFetch(admin, 'GET', '/ready')).status, 200);
    // HAProxy's default health check (`option httpchk` alone) is `OPTIONS /`.
    assert.equal((await adminFetch(admin, 'OPTIONS', '/')).status, 200);
    const slow = inFlight(server.port, 3_000_000);
    await slow.gotHead;
    server.child.kill('SIGINT');
    await server.stderr.waitFor(/draining/);
    assert.equal((await adminFetch(admin, 'GET', '/ready')).status, 503);
    assert.equal((await adminFetch(admin, 'OPTIONS', '/')).status, 503);
    const newcomer = await download(server.port, '/small.bin');
    assert.equal(newcomer.status, 503);
    assert.equal(newcomer.headers.get('retry-after'), '60');
    assert.equal(newcomer.headers.get('connection'), 'close');
    assert.equal((await slow.result).sha256, big.sha256);
    assert.equal((await server.exited).code, 0);
  });

  test(`--drain-new redirect=URL: newcomers are sent to the peer mirror with path and query kept${suffix}`, async () => {
    const server = await startEbb([
      ...base('--drain-new', 'redirect=http://peer.example.org/mirror/'),
      root.path,
    ]);
    const slow = inFlight(server.port, 3_000_000);
    await slow.gotHead;
    server.child.kill('SIGINT');
    await server.stderr.waitFor(/draining/);
    const newcomer = await download(server.port, '/debian/x.iso?a=1');
    assert.equal(newcomer.status, 302);
    assert.equal(
      newcomer.headers.get('location'),
      'http://peer.example.org/mirror/debian/x.iso?a=1',
    );
    assert.equal((await slow.result).sha256, big.sha256);
    assert.equal((await server.exited).code, 0);
  });

  test(`--drain-delay: /ready turns 503 at once while the listener keeps serving for the delay${suffix}`, async () => {
    const server = await startEbb([
      ...base('--drain-delay', '1s', '--admin', '127.0.0.1:0'),
      docs.path,
    ]);
    const admin = adminPortOf(server.stderr.lines);
    const drain = await adminFetch(admin, 'POST', '/drain');
    assert.equal(drain.status, 202);
    assert.equal((await adminFetch(admin, 'GET', '/ready')).status, 503);
    const during = await download(server.port, '/small.bin');
    assert.equal(during.status, 200);
    assert.equal(during.sha256, small.sha256);
    assert.equal((await server.exited).code, 0);
  });

  test(`pid file: written once bound, a live ebb refuses a second start, a stale one is replaced, removed on exit${suffix}`, async () => {
    const dir = await makeTempDir('ebb-pid-');
    after(dir.remove);
    const pidFile = join(dir.path, 'ebb.pid');
    // Stale: a pid that is certainly not an ebb (this test runner's own parent shell is not; use pid 1... or a dead one).
    const dead = spawn(process.execPath, ['-e', '0']);
    await once(dead, 'exit');
    await writeFile(pidFile, `${dead.pid}\n`);
    const server = await startEbb([...base('--pid-file', pidFile), docs.path]);
    assert.equal((await readFile(pidFile, 'utf8')).trim(), String(server.pid));
    await access(join(dir.path, 'ebb.sock'));

    const second = spawnEbb(['serve', ...base('--pid-file', pidFile), docs.path]);
    const refused = await second.exited;
    assert.equal(refused.code, 1);
    assert.match(second.stderr.text(), /names a running ebb \(pid \d+\)/);

    server.child.kill('SIGINT');
    assert.equal((await server.exited).code, 0);
    await assert.rejects(access(pidFile), /ENOENT/);
    await assert.rejects(access(join(dir.path, 'ebb.sock')), /ENOENT/);
  });

  test(`ebb stop follows a live drain through the admin socket and returns the drain status${suffix}`, async () => {
    const dir = await makeTempDir('ebb-stop-');
    after(dir.remove);
    const pidFile = join(dir.path, 'ebb.pid');
    const server = await startEbb([...base('--pid-file', pidFile), root.path]);
    const slow = inFlight(server.port, 2_000_000);
    await slow.gotHead;
    const stop = spawnEbb(['stop', '--pid-file', pidFile]);
    const stopExit = await stop.exited;
    const serverExit = await server.exited;
    assert.equal((await slow.result).sha256, big.sha256);
    assert.equal(stopExit.code, 0, stop.stdout.text() + stop.stderr.text());
    assert.equal(serverExit.code, 0);
    assert.match(stop.stdout.text(), /ebb exited after [\d.]+ s: 1 downloads completed/);
  });

  test(`ebb stop refuses to signal a stale pid file and reports a missing one${suffix}`, async () => {
    const dir = await makeTempDir('ebb-stale-');
    after(dir.remove);
    const pidFile = join(dir.path, 'ebb.pid');
    // A live process that is not ebb: ebb stop must not signal it.
    const bystander = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    after(() => void bystander.kill('SIGKILL'));
    await writeFile(pidFile, `${bystander.pid}\n`);
    const stale = spawnEbb(['stop', '--pid-file', pidFile]);
    assert.equal((await stale.exited).code, 4);
    assert.match(
      stale.stderr.text(),
      /is stale: pid \d+ is not a running ebb server \(nothing was signalled\)/,
    );
    assert.equal(bystander.exitCode, null, 'the bystander must still be running');

    const missing = spawnEbb(['stop', '--pid-file', join(dir.path, 'none.pid')]);
    assert.equal((await missing.exited).code, 4);
    assert.match(missing.stderr.text(), /no ebb is running: pid file .* is missing/);
  });

  test(`the seed one-liner: kill -INT $(cat ebb.pid) drains and exits${suffix}`, async () => {
    const dir = await makeTempDir('ebb-seed-');
    after(dir.remove);
    const pidFile = join(dir.path, 'ebb.pid');
    const server = await startEbb([...base('--pid-file', pidFile), root.path]);
    const slow = inFlight(server.port, 3_000_000);
    await slow.gotHead;
    const kill = spawn('/bin/sh', ['-c', `/bin/kill -INT $(cat ${pidFile})`]);
    assert.equal((await once(kill, 'exit'))[0], 0);
    assert.equal((await slow.result).sha256, big.sha256);
    assert.equal((await server.exited).code, 0);
  });

  test(`ebb stop --timeout sets a deadline for this drain: the rest is cut, logged, and the status says so${suffix}`, async () => {
    const server = await startEbb([...base('--admin', '127.0.0.1:0'), root.path]);
    const admin = adminPortOf(server.stderr.lines);
    const slow = inFlight(server.port, 300_000);
    await slow.gotHead;
    const token = ['--admin-token-file', adminTokenFileOf(server.stderr.lines)];
    const stop = spawnEbb(['stop', '--admin', `127.0.0.1:${admin}`, ...token, '--timeout', '1s']);
    await assert.rejects(slow.result, /connection closed after/);
    const stopExit = await stop.exited;
    assert.equal(stopExit.code, 3, stop.stdout.text() + stop.stderr.text());
    assert.match(stop.stdout.text(), /1 cut/);
    assert.match(
      stop.stdout.text(),
      /cut \(deadline\): 127\.0\.0\.1:\d+ \/big\.iso \d+ of 8388608 bytes/,
    );
    assert.equal((await server.exited).code, 3);
  });

  test(`a request part-sent when the drain begins may finish and is answered with Connection: close${suffix}`, async () => {
    const server = await startEbb([...base(), docs.path]);
    const socket = await connectTo(server.port);
    const response = readResponse(socket);
    socket.write('GET /small.bin HTTP/1.1\r\nHost: t');
    server.child.kill('SIGINT');
    await server.stderr.waitFor(/draining \(SIGINT\)/);
    socket.write('est\r\n\r\n');
    const result = await response;
    assert.equal(result.status, 200);
    assert.equal(result.sha256, small.sha256);
    assert.equal(result.headers.get('connection'), 'close');
    assert.equal(result.closedByServer, true);
    assert.equal((await server.exited).code, 0);
  });
}
