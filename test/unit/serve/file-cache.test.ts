import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CACHE_VALID_MS, TtlCache } from '../../../src/serve/file-cache.js';
import { createStaticHandler } from '../../../src/serve/handler.js';
import type { Reply } from '../../../src/http/types.js';
import { makeTempDir } from '../../helpers/fixtures.js';

test('a cached value is kept for CACHE_VALID_MS, then forgotten', () => {
  const cache = new TtlCache<string>((s) => s.length);
  cache.set('a', 'x', 1000);
  assert.equal(cache.get('a', 1000 + CACHE_VALID_MS - 1), 'x');
  assert.equal(cache.get('a', 1000 + CACHE_VALID_MS), undefined);
});

test('the memory budget evicts the least recently stored first', () => {
  const cache = new TtlCache<string>((s) => s.length, 10);
  cache.set('a', '12345', 0);
  cache.set('b', '12345', 0);
  cache.set('c', '1', 0);
  assert.equal(cache.get('a', 1), undefined);
  assert.equal(cache.get('b', 1), '12345');
  assert.equal(cache.get('c', 1), '1');
});

function bodyOf(reply: Reply): Buffer {
  assert.equal(reply.fd, undefined, 'a small file is served from memory');
  return Buffer.concat(reply.body.map((s) => (s.kind === 'bytes' ? s.data : Buffer.alloc(0))));
}

const etagOf = (reply: Reply): string | undefined => reply.headers.find(([n]) => n === 'ETag')?.[1];

test('a small file replaced on disk is served fresh within a second, never spliced', async (t) => {
  const dir = await makeTempDir();
  t.after(dir.remove);
  const path = join(dir.path, 'f.bin');
  const v1 = randomBytes(4000);
  const v2 = randomBytes(6000);
  await writeFile(path, v1);
  const handler = createStaticHandler({
    root: dir.path,
    index: null,
    listing: true,
    dotfiles: 'deny',
    followSymlinks: false,
    cacheControl: null,
  });
  const get = () => handler({ method: 'GET', target: '/f.bin', minorVersion: 1, headers: [] });
  const first = await get();
  assert.deepEqual(bodyOf(first), v1);

  await writeFile(`${path}.tmp`, v2);
  await rename(`${path}.tmp`, path); // what rsync does
  const replacedAtMs = Date.now();
  const seenEtags = new Map<string, Buffer>();
  let fresh: Reply | null = null;
  while (fresh === null && Date.now() - replacedAtMs < CACHE_VALID_MS + 500) {
    const reply = await get();
    const body = bodyOf(reply);
    // Whole versions only, each with its own ETag.
    assert.ok(body.equals(v1) || body.equals(v2), 'a body must be one version, not a splice');
    const etag = etagOf(reply) ?? '';
    const earlier = seenEtags.get(etag);
    if (earlier !== undefined) assert.ok(earlier.equals(body), 'one ETag, one content');
    seenEtags.set(etag, body);
    if (body.equals(v2)) fresh = reply;
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(fresh !== null, 'the new version was not served');
  assert.ok(Date.now() - replacedAtMs <= CACHE_VALID_MS + 100);
  assert.notEqual(etagOf(fresh), etagOf(first));
});

test('keys count against the memory budget, and the entry count is bounded', () => {
  const cache = new TtlCache<string>(() => 0, 10, 1000);
  cache.set('k'.repeat(6), '', 0);
  cache.set('j'.repeat(6), '', 0);
  assert.equal(cache.get('k'.repeat(6), 1), undefined);
  assert.equal(cache.get('j'.repeat(6), 1), '');
  const counted = new TtlCache<string>(() => 0, 1e9, 3);
  for (const key of ['a', 'b', 'c', 'd']) counted.set(key, key, 0);
  assert.deepEqual(
    ['a', 'b', 'c', 'd'].map((key) => counted.get(key, 1)),
    [undefined, 'b', 'c', 'd'],
  );
});

test('requests that miss the cache together share one read of a small file', async (t) => {
  const dir = await makeTempDir();
  t.after(dir.remove);
  const data = randomBytes(10_000); // past the Buffer pool: each read has its own memory
  await writeFile(join(dir.path, 'hot.bin'), data);
  const handler = createStaticHandler({
    root: dir.path,
    index: null,
    listing: false,
    dotfiles: 'deny',
    followSymlinks: false,
    cacheControl: null,
  });
  const get = (headers: ReadonlyArray<readonly [string, string]>) =>
    handler({ method: 'GET', target: '/hot.bin', minorVersion: 1, headers });
  // Together, as an expired hot file's requests in flight arrive: one plain, one a range.
  const replies = await Promise.all([
    ...Array.from({ length: 8 }, () => get([])),
    get([['range', 'bytes=0-9']]),
  ]);
  for (const reply of replies.slice(0, 8)) assert.deepEqual(bodyOf(reply), data);
  const range = replies[8]!;
  assert.equal(range.status, 206);
  assert.deepEqual(bodyOf(range), data.subarray(0, 10));
  // Each read of the file fills memory of its own: one memory, one read.
  const memoryOf = (reply: Reply) =>
    reply.body[0]?.kind === 'bytes' ? reply.body[0].data.buffer : null;
  const memories = new Set(replies.map(memoryOf));
  assert.equal(memories.size, 1, `${memories.size} reads of the file`);
});
