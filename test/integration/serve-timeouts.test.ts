/**
 * Backpressure and timeouts against the real server: a stalled client (takes the head, then
 * never reads) is cut by the write-idle timeout and logged `timeout`, while a slow reader that
 * keeps making progress for longer than that timeout is never cut and gets every byte. Also
 * the header and keep-alive timeouts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { connectTo, download, requestText } from '../helpers/http-client.js';
import { RawConnection, waitForLogLine } from '../helpers/raw-http.js';
import { parseAccessLine } from '../helpers/access-lines.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const logDir = await makeTempDir();
after(logDir.remove);
const logPath = join(logDir.path, 'access.log');
// Far more than loopback buffers hold: a client that stops reading stalls the server's writes.
const big = await writeRandomFile(root.path, 'big.iso', 24 * 1024 * 1024);
const slowFile = await writeRandomFile(root.path, 'slow.iso', 3 * 1024 * 1024);
const small = await writeRandomFile(root.path, 'small.bin', 1000);

const server = await startEbb([
  '--listen',
  '127.0.0.1:0',
  '--access-log',
  logPath,
  '--write-idle-timeout',
  '2s',
  '--header-timeout',
  '1s',
  '--keepalive-timeout',
  '1s',
  root.path,
]);
const port = server.port;

test('a stalled client is cut by the write-idle timeout (logged "timeout") while a slow reader is not', async () => {
  const stalled = await connectTo(port);
  stalled.on('error', () => undefined);
  const stalledAtMs = new Promise<number>((resolve) => {
    stalled.once('data', () => {
      stalled.pause(); // takes the head and the first bytes, then never reads again
      resolve(Date.now());
    });
  });
  stalled.write(requestText(`/${big.name}`, { headers: { 'User-Agent': 'stalled' } }));

  // 600 KB/s of 3 MiB: about 5 s, more than twice the write-idle timeout, never idle for long.
  const startMs = Date.now();
  const slow = download(port, `/${slowFile.name}`, {
    bytesPerSecond: 600_000,
    headers: { 'User-Agent': 'slow' },
  });

  const line = await waitForLogLine(logPath, /"stalled"/, 10_000);
  const cutAfterMs = Date.now() - (await stalledAtMs);
  const { request, status, bytes, seconds, outcome } = parseAccessLine(line);
  assert.equal(request, `GET /${big.name} HTTP/1.1`);
  assert.equal(status, 200);
  assert.equal(outcome, 'timeout');
  assert.ok(Number(bytes) < big.size, `bytes sent ${bytes}`);
  assert.ok(Number(seconds) >= 2, `logged duration ${seconds}`);
  assert.ok(cutAfterMs >= 1900 && cutAfterMs < 6000, `cut ${cutAfterMs} ms after the stall`);
  stalled.destroy();

  const result = await slow;
  const tookMs = Date.now() - startMs;
  assert.equal(result.status, 200);
  assert.equal(result.bodyBytes, slowFile.size);
  assert.equal(result.sha256, slowFile.sha256);
  assert.ok(tookMs > 4000, `the slow download took ${tookMs} ms`);
  const slowLine = parseAccessLine(await waitForLogLine(logPath, /"slow" /));
  assert.equal(slowLine.bytes, String(slowFile.size));
  assert.equal(slowLine.outcome, 'complete');
  console.log(
    `# stalled client cut ${cutAfterMs} ms after it stopped reading; slow one took ${tookMs} ms`,
  );
});

test('a head that does not arrive within the header timeout → 408, connection closed', async () => {
  const connection = await RawConnection.open(port);
  try {
    const startMs = Date.now();
    connection.write(`GET /${small.name} HTTP/1.1\r\nHost: t\r\n`);
    const [response] = await connection.responses(1, [], 5000);
    assert.equal(response?.status, 408);
    const waitedMs = Date.now() - startMs;
    assert.ok(waitedMs >= 900 && waitedMs < 3000, `408 after ${waitedMs} ms`);
    await connection.serverEnded();
  } finally {
    connection.close();
  }
});

test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
  const connection = await RawConnection.open(port);
  try {
    connection.write(`GET /${small.name} HTTP/1.1\r\nHost: t\r\n\r\n`);
    await connection.responses(1);
    const idleFromMs = Date.now();
    await connection.serverEnded(5000);
    const idleMs = Date.now() - idleFromMs;
    assert.ok(idleMs >= 900 && idleMs < 3000, `closed after ${idleMs} ms idle`);
  } finally {
    connection.close();
  }
});
