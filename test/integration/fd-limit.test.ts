/**
 * At the open-file limit (issue 12.4): ebb started under `ulimit -n 128`, a burst of connections
 * past the room the limit leaves. ebb survives, says so (once, rate-limited), counts every refused
 * connection in /status and /metrics, exports the process descriptor figures, keeps the download
 * in flight intact and accepts again once connections close.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { connectTo, download } from '../helpers/http-client.js';
import { adminFetch, adminPortOf } from '../helpers/admin.js';
import { pausedDownload } from '../helpers/held-download.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const big = await writeRandomFile(root.path, 'big.iso', 32 * 1024 * 1024);
const small = await writeRandomFile(root.path, 'small.bin', 1000);

const MAX_FDS = 128;

/** A download that is refused (closed before any response) is retried, a bounded number of times. */
async function downloadOnceAdmitted(port: number, path: string, attempts = 50) {
  for (let i = 1; ; i++) {
    try {
      return await download(port, path);
    } catch (error) {
      if (i >= attempts) throw error;
    }
  }
}

test('a burst past the open-file limit: refused connections counted and told, ebb recovers', async () => {
  const server = await startEbb(
    ['--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--access-log', 'off', root.path],
    { via: ['sh', '-c', `ulimit -n ${MAX_FDS}; exec "$0" "$@"`] },
  );
  const adminPort = adminPortOf(server.stderr.lines);
  const room = await server.stderr.waitFor(/open-file limit \(128\) leaves room for \d+/);
  const capacity = Number(/room for (\d+)/.exec(room)?.[1]);
  assert.ok(capacity > 5 && capacity < MAX_FDS / 2, room);
  const held = await pausedDownload(server.port, `/${big.name}`);

  // Far more connections than descriptors: without the bound, accept() itself meets EMFILE.
  const burst = capacity + 100;
  const expectRefused = burst - (capacity - 1);
  let closedByServer = 0;
  let allRefused!: () => void;
  const refusedSeen = new Promise<void>((resolve) => (allRefused = resolve));
  const sockets: Socket[] = await Promise.all(
    Array.from({ length: burst }, () => connectTo(server.port)),
  );
  for (const socket of sockets) {
    socket.on('error', () => undefined);
    socket.once('end', () => {
      if (++closedByServer === expectRefused) allRefused();
    });
    socket.resume();
  }
  await refusedSeen;
  await server.stderr.waitFor(
    /at the open-file limit \(128 descriptors, room for \d+ connections\)/,
  );

  const status = JSON.parse((await adminFetch(adminPort, 'GET', '/status')).body) as {
    warnings: Array<{ code: string; count: number }>;
  };
  assert.deepEqual(
    status.warnings.map((w) => [w.code, w.count]),
    [['ACCEPT_FAILED', expectRefused]],
  );
  const metrics = (await adminFetch(adminPort, 'GET', '/metrics')).body;
  assert.match(
    metrics,
    new RegExp(`^ebb_warnings_total\\{code="ACCEPT_FAILED"\\} ${expectRefused}$`, 'm'),
  );
  assert.match(metrics, new RegExp(`^ebb_process_max_fds ${MAX_FDS}$`, 'm'));
  const openFds = Number(/^ebb_process_open_fds (\d+)$/m.exec(metrics)?.[1]);
  assert.ok(openFds > capacity && openFds < MAX_FDS, `open fds ${openFds}`);
  // Once; a summary with a count may follow after 10 s on a slow machine.
  const told = server.stderr.lines.filter(
    (l) => /at the open-file limit/.test(l) && !/more times? in the last/.test(l),
  );
  assert.equal(told.length, 1, 'told once, not once per refused connection');

  // The clients leave; a new download is admitted and the operator told.
  await Promise.all(
    sockets.map(async (socket) => {
      socket.destroy();
      if (!socket.closed) await once(socket, 'close');
    }),
  );
  assert.equal((await downloadOnceAdmitted(server.port, `/${small.name}`)).sha256, small.sha256);
  await server.stderr.waitFor(/accepting connections again/);

  held.resume();
  assert.equal((await held.result).sha256, big.sha256);
  server.child.kill('SIGINT');
  assert.deepEqual(await server.exited, { code: 0, signal: null });
});
