/**
 * The digest queue with its real worker thread: a digest is computed once, off the request
 * path; a file that is not the version asked for, or that changes while it is hashed, is
 * discarded; the queue is bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DigestCache } from '../../../src/mirror/digest-cache.js';
import { MAX_QUEUED, startDigests, type DigestOptions } from '../../../src/mirror/digest-queue.js';
import { openDigestStore } from '../../../src/mirror/digest-store.js';
import type { DigestResult } from '../../../src/mirror/digest-job.js';
import { identityOf } from '../../../src/serve/file-identity.js';
import type { FileRef } from '../../../src/serve/mirror-hooks.js';
import { makeTempDir, writeRandomFile } from '../../helpers/fixtures.js';

type Kind = DigestResult['kind'];

async function setUp(t: { after: (fn: () => Promise<void>) => void }, options: DigestOptions = {}) {
  const dir = await makeTempDir();
  t.after(dir.remove);
  const store = await openDigestStore(null, () => undefined, new DigestCache());
  const settled: Array<(kind: Kind) => void> = [];
  const digests = startDigests(store, () => undefined, {
    ...options,
    onSettled: (_key, kind) => settled.shift()?.(kind),
  });
  t.after(() => digests.close());
  const nextSettled = () => new Promise<Kind>((resolve) => settled.push(resolve));
  const refOf = async (path: string): Promise<FileRef> => ({
    segments: [path],
    fsPath: path,
    identity: identityOf(await stat(path)),
  });
  return { dir: dir.path, digests, nextSettled, refOf };
}

test('a digest is queued by the lookup and known afterwards', async (t) => {
  const { dir, digests, nextSettled, refOf } = await setUp(t);
  const file = await writeRandomFile(dir, 'a.iso', 3_000_000);
  const ref = await refOf(join(dir, file.name));
  const settled = nextSettled();
  assert.equal(digests.digestOf(ref), null, 'unknown: queued, not computed on the spot');
  assert.equal(await settled, 'digest');
  assert.equal(digests.digestOf(ref)?.toString('hex'), file.sha256);
});

test('a file that is not the version asked for is not hashed', async (t) => {
  const { dir, digests, nextSettled, refOf } = await setUp(t);
  const file = await writeRandomFile(dir, 'a.iso', 1000);
  const ref = await refOf(join(dir, file.name));
  const stale = { ...ref, identity: { ...ref.identity, mtimeMs: ref.identity.mtimeMs - 1000 } };
  const settled = nextSettled();
  assert.equal(digests.digestOf(stale), null);
  assert.equal(await settled, 'changed');
  assert.equal(digests.digestOf(stale), null, 'queued again, never taken from another version');
});

test('a file that changes while it is hashed is discarded', async (t) => {
  // 1 MiB/s: hashing 3 MB takes about 2 s, time enough to append to it.
  const { dir, digests, nextSettled, refOf } = await setUp(t, { readBytesPerSecond: 1024 * 1024 });
  const file = await writeRandomFile(dir, 'a.iso', 3_000_000);
  const path = join(dir, file.name);
  const ref = await refOf(path);
  const settled = nextSettled();
  assert.equal(digests.digestOf(ref), null);
  await appendFile(path, 'more');
  assert.equal(await settled, 'changed');
  const now = await refOf(path);
  assert.notEqual(now.identity.sizeBytes, ref.identity.sizeBytes);
});

test(`the queue holds at most ${MAX_QUEUED} files`, async (t) => {
  const { dir, digests, nextSettled, refOf } = await setUp(t, { readBytesPerSecond: 1024 });
  const file = await writeRandomFile(dir, 'slow.bin', 4096);
  const ref = await refOf(join(dir, file.name));
  const first = nextSettled();
  digests.digestOf(ref);
  assert.equal(digests.queuedCount, 0, 'the first is being hashed');
  // Distinct (made-up) versions: each would be a job; past the bound they are dropped.
  for (let i = 1; i <= MAX_QUEUED + 500; i++) {
    digests.digestOf({ ...ref, identity: { ...ref.identity, ino: ref.identity.ino + i } });
  }
  assert.equal(digests.queuedCount, MAX_QUEUED);
  digests.digestOf(ref);
  assert.equal(digests.queuedCount, MAX_QUEUED, 'the one being hashed is not queued twice');
  void first;
});
