/**
 * A file changing under a download, against the real server: replaced by rename (what rsync
 * does) or deleted while a throttled download of it is in flight, that download still gets the
 * old bytes (sha256 checked); the next request sees the change. Small files, which are served
 * from a cache revalidated every second (src/serve/file-cache.ts), never mix two versions.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rename, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, sha256, writeRandomFile, type Fixture } from '../helpers/fixtures.js';
import { download, type Download, type ResponseHead } from '../helpers/http-client.js';
import { fetchRaw } from '../helpers/raw-http.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
// Larger than loopback socket buffers take at once, so the server is still reading the old
// descriptor well after the change.
const SIZE = 16 * 1024 * 1024;
const RATE = 16_000_000;
const server = await startEbb(['--listen', '127.0.0.1:0', '--access-log', 'off', root.path]);
const port = server.port;

/** Starts a throttled download and resolves once its head arrived. */
async function startDownload(
  name: string,
): Promise<{ head: ResponseHead; result: Promise<Download> }> {
  let gotHead!: (head: ResponseHead) => void;
  const headArrived = new Promise<ResponseHead>((resolve) => (gotHead = resolve));
  const result = download(port, `/${name}`, { bytesPerSecond: RATE, onHead: gotHead });
  return { head: await headArrived, result };
}

test('a file replaced by rename mid-download: the download delivers the old bytes; the next request gets the new file and ETag', async () => {
  const old: Fixture = await writeRandomFile(root.path, 'replaced.iso', SIZE);
  const { head, result } = await startDownload(old.name);
  const newData = randomBytes(SIZE / 2);
  await writeFile(join(root.path, '.replaced.iso.tmp'), newData);
  await rename(join(root.path, '.replaced.iso.tmp'), join(root.path, old.name));

  const next = await fetchRaw(port, `/${old.name}`);
  assert.equal(sha256(next.body), sha256(newData));
  assert.notEqual(next.headers.get('etag'), head.headers.get('etag'));

  const first = await result;
  assert.equal(first.status, 200);
  assert.equal(first.bodyBytes, SIZE);
  assert.equal(first.sha256, old.sha256, 'the in-flight download must be the old file, intact');
  assert.ok(first.lastByteAtMs > 0);
});

test('a file deleted mid-download: the download delivers the old bytes; the next request is 404', async () => {
  const old: Fixture = await writeRandomFile(root.path, 'deleted.iso', SIZE);
  const { result } = await startDownload(old.name);
  await unlink(join(root.path, old.name));
  assert.equal((await fetchRaw(port, `/${old.name}`)).status, 404);
  const first = await result;
  assert.equal(first.bodyBytes, SIZE);
  assert.equal(first.sha256, old.sha256);
});

test('a file truncated in place mid-download: the download is cut short, never padded or spliced', async () => {
  const old: Fixture = await writeRandomFile(root.path, 'truncated.iso', SIZE);
  const { result } = await startDownload(old.name);
  // Handled at once: the cut may come before the truncate call returns.
  const ended = result.then(
    (done) => `completed with ${done.bodyBytes} bytes`,
    (error: Error) => error.message,
  );
  await truncate(join(root.path, old.name), 1024);
  assert.match(await ended, /connection closed after \d+ of 16777216 body bytes/);
  assert.equal((await fetchRaw(port, `/${old.name}`)).body.length, 1024);
});

test('a small (cached) file replaced by rename: each response is one whole version, and the new one is served within about a second', async () => {
  const oldData = randomBytes(2000);
  const newData = randomBytes(3000);
  const path = join(root.path, 'small.txt');
  await writeFile(path, oldData);
  const before = await fetchRaw(port, '/small.txt');
  assert.deepEqual(before.body, oldData);
  await writeFile(`${path}.tmp`, newData);
  await rename(`${path}.tmp`, path);
  const replacedAtMs = Date.now();
  let seen = before;
  // Each iteration is a real request; the cache promises freshness within CACHE_VALID_MS (1 s).
  while (!seen.body.equals(newData)) {
    assert.ok(Date.now() - replacedAtMs < 2000, 'the new version was not served within 2 s');
    seen = await fetchRaw(port, '/small.txt');
    const version = seen.body.equals(oldData) ? before : seen;
    assert.ok(seen.body.equals(oldData) || seen.body.equals(newData), 'a spliced body');
    assert.equal(seen.headers.get('etag'), version.headers.get('etag'));
  }
  assert.notEqual(seen.headers.get('etag'), before.headers.get('etag'));
  console.log(`# a replaced small file was served fresh after ${Date.now() - replacedAtMs} ms`);
});
