/**
 * Cross-mirror resume: the same file on two roots (two ebb processes), as sync tools leave it —
 * one copy with a sub-second mtime, the other with whole seconds only — resumes on the second
 * node with `If-Range` and a 206; a copy from another second, and a file modified less than a
 * second ago, get the whole file instead (never a splice).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, utimes, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, sha256, writeRandomFile } from '../helpers/fixtures.js';
import { fetchRaw } from '../helpers/raw-http.js';

after(stopAll);

const SIZE = 300_000;
const HALF = SIZE / 2;
const WHOLE_SECOND_MS = Date.parse('2025-03-01T10:00:00Z');

const rootA = await makeTempDir();
const rootB = await makeTempDir();
after(rootA.remove);
after(rootB.remove);
const file = await writeRandomFile(rootA.path, 'debian.iso', SIZE);
await copyFile(join(rootA.path, file.name), join(rootB.path, file.name));
// Node takes utimes in seconds: .250 is a sub-second mtime, as a local write leaves it.
await utimes(
  join(rootA.path, file.name),
  (WHOLE_SECOND_MS + 250) / 1000,
  (WHOLE_SECOND_MS + 250) / 1000,
);
await utimes(join(rootB.path, file.name), WHOLE_SECOND_MS / 1000, WHOLE_SECOND_MS / 1000);
// The same bytes one second later: a copy that is not the same version.
await copyFile(join(rootA.path, file.name), join(rootB.path, 'later.iso'));
await copyFile(join(rootA.path, file.name), join(rootA.path, 'later.iso'));
const laterS = (WHOLE_SECOND_MS + 1000) / 1000;
await utimes(join(rootB.path, 'later.iso'), laterS, laterS);
await utimes(join(rootA.path, 'later.iso'), WHOLE_SECOND_MS / 1000, WHOLE_SECOND_MS / 1000);

const args = ['--listen', '127.0.0.1:0', '--access-log', 'off'];
const [nodeA, nodeB] = await Promise.all([
  startEbb([...args, rootA.path]),
  startEbb([...args, rootB.path]),
]);

async function firstHalf(port: number, path: string) {
  const response = await fetchRaw(port, path, { Range: `bytes=0-${HALF - 1}` });
  assert.equal(response.status, 206);
  return { etag: response.headers.get('etag') ?? '', body: response.body };
}

test('a download cut on one mirror resumes on the other with 206 (sub-second mtime difference)', async () => {
  const head = await firstHalf(nodeA.port, `/${file.name}`);
  const rest = await fetchRaw(nodeB.port, `/${file.name}`, {
    Range: `bytes=${HALF}-`,
    'If-Range': head.etag,
  });
  assert.equal(rest.status, 206);
  assert.equal(rest.headers.get('content-range'), `bytes ${HALF}-${SIZE - 1}/${SIZE}`);
  assert.equal(sha256(Buffer.concat([head.body, rest.body])), file.sha256);
});

test('a copy from another second is another version: the whole file, no splice', async () => {
  const head = await firstHalf(nodeA.port, '/later.iso');
  const rest = await fetchRaw(nodeB.port, '/later.iso', {
    Range: `bytes=${HALF}-`,
    'If-Range': head.etag,
  });
  assert.equal(rest.status, 200);
  assert.equal(sha256(rest.body), file.sha256);
});

test('a file modified less than a second ago has a weak ETag: If-Range sends it whole', async () => {
  const data = randomBytes(SIZE);
  await writeFile(join(rootB.path, 'fresh.iso'), data);
  // An mtime ahead of the clock is fresh however loaded the machine is (the same rule applies).
  const aheadS = (Date.now() + 30_000) / 1000;
  await utimes(join(rootB.path, 'fresh.iso'), aheadS, aheadS);
  const head = await firstHalf(nodeB.port, '/fresh.iso');
  assert.match(head.etag, /^W\/"/);
  const rest = await fetchRaw(nodeB.port, '/fresh.iso', {
    Range: `bytes=${HALF}-`,
    'If-Range': head.etag,
  });
  assert.equal(rest.status, 200);
  assert.equal(sha256(rest.body), sha256(data));
});
