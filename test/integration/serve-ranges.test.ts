/**
 * Conditional requests (RFC 9110 §13.2.2 precedence) and byte ranges against the real server:
 * single, multipart (each part's bytes checked), unsatisfiable, malformed, abusive (see
 * src/serve/select-ranges.ts: overlapping and adjacent ranges are coalesced, more than 32
 * remaining → 416, or the full 200 of a file up to 64 KiB), and If-Range after the file was
 * replaced by rename.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rename, truncate, utimes, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, sha256, writeRandomFile, type Fixture } from '../helpers/fixtures.js';
import { fetchRaw, parseByteRanges, type RawResponse } from '../helpers/raw-http.js';
import { oneByteRanges } from '../helpers/abuse-replays.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
// One file served from the small-file cache, one streamed from its descriptor.
const small = await writeRandomFile(root.path, 'small.bin', 10_000);
const large = await writeRandomFile(root.path, 'large.iso', 400_000);
const mtime = new Date('2024-06-01T12:00:00Z');
for (const file of [small, large]) await utimes(join(root.path, file.name), mtime, mtime);

const server = await startEbb(['--listen', '127.0.0.1:0', '--access-log', 'off', root.path]);
const port = server.port;

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
  fetchRaw(port, path, headers, method);

const etags = new Map<Fixture, string>();
for (const file of [small, large]) {
  etags.set(file, (await get(`/${file.name}`, {}, 'HEAD')).headers.get('etag') ?? '');
}
const lastModified = (await get(`/${small.name}`, {}, 'HEAD')).headers.get('last-modified') ?? '';
const earlier = 'Sat, 01 Jun 2024 11:00:00 GMT';
const later = 'Sat, 01 Jun 2024 13:00:00 GMT';

function assertFull(response: RawResponse, file: Fixture): void {
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-range'), undefined);
  assert.equal(sha256(response.body), file.sha256);
}

test('the validators the conditions use', () => {
  for (const etag of etags.values()) assert.match(etag, /^"[^"]+"$/);
  assert.notEqual(etags.get(small), etags.get(large));
  assert.equal(lastModified, 'Sat, 01 Jun 2024 12:00:00 GMT');
});

type ConditionCase = readonly [string, (etag: string) => Record<string, string>, number];
const conditionCases: readonly ConditionCase[] = [
  ['If-Match matching', (etag) => ({ 'If-Match': etag }), 200],
  ['If-Match *', () => ({ 'If-Match': '*' }), 200],
  ['If-Match in a list', (etag) => ({ 'If-Match': `"nope", ${etag}` }), 200],
  ['If-Match failing', () => ({ 'If-Match': '"nope"' }), 412],
  ['If-Match weak (strong comparison fails)', (etag) => ({ 'If-Match': `W/${etag}` }), 412],
  [
    'If-Match failing wins over If-None-Match',
    (etag) => ({ 'If-Match': '"nope"', 'If-None-Match': etag }),
    412,
  ],
  ['If-Match failing wins over a Range', () => ({ 'If-Match': '"nope"', Range: 'bytes=0-9' }), 412],
  ['If-Unmodified-Since earlier', () => ({ 'If-Unmodified-Since': earlier }), 412],
  ['If-Unmodified-Since equal', () => ({ 'If-Unmodified-Since': lastModified }), 200],
  [
    'If-Match passing makes If-Unmodified-Since ignored',
    (etag) => ({ 'If-Match': etag, 'If-Unmodified-Since': earlier }),
    200,
  ],
  [
    'If-Unmodified-Since invalid date is ignored',
    () => ({ 'If-Unmodified-Since': 'yesterday' }),
    200,
  ],
  ['If-None-Match matching', (etag) => ({ 'If-None-Match': etag }), 304],
  ['If-None-Match weak matching', (etag) => ({ 'If-None-Match': `W/${etag}` }), 304],
  ['If-None-Match *', () => ({ 'If-None-Match': '*' }), 304],
  ['If-None-Match other', () => ({ 'If-None-Match': '"other"' }), 200],
  ['If-Modified-Since equal', () => ({ 'If-Modified-Since': lastModified }), 304],
  ['If-Modified-Since later', () => ({ 'If-Modified-Since': later }), 304],
  ['If-Modified-Since earlier', () => ({ 'If-Modified-Since': earlier }), 200],
  ['If-Modified-Since invalid', () => ({ 'If-Modified-Since': 'not a date' }), 200],
  [
    'If-None-Match (no match) wins over If-Modified-Since',
    () => ({ 'If-None-Match': '"other"', 'If-Modified-Since': later }),
    200,
  ],
  [
    'If-None-Match (match) wins over If-Modified-Since',
    (etag) => ({ 'If-None-Match': etag, 'If-Modified-Since': earlier }),
    304,
  ],
  [
    'If-Unmodified-Since failing wins over If-None-Match',
    (etag) => ({ 'If-Unmodified-Since': earlier, 'If-None-Match': etag }),
    412,
  ],
];

for (const [name, headersFor, status] of conditionCases) {
  test(`${name} → ${status}`, async () => {
    for (const file of [small, large]) {
      const etag = etags.get(file) ?? '';
      const headers = headersFor(etag);
      const response = await get(`/${file.name}`, headers);
      assert.equal(response.status, status, file.name);
      if (status === 304) {
        assert.equal(response.headers.get('etag'), etag);
        assert.equal(response.headers.get('content-length'), undefined);
        assert.equal(response.body.length, 0);
      } else if (status === 412) {
        assert.ok(!response.body.includes(file.data.subarray(0, 64)), 'no file bytes in a 412');
      } else if (headers.Range === undefined) {
        assertFull(response, file);
      }
    }
  });
}

test('a 304 answer is followed by nothing: the next response on the connection parses', async () => {
  // fetchRaw reads a 304 as bodiless; a stray body would make its parse of the head fail below.
  const response = await get(`/${small.name}`, { 'If-None-Match': etags.get(small) ?? '' });
  assert.equal(response.status, 304);
  assert.equal(response.headers.get('last-modified'), lastModified);
});

for (const file of [small, large]) {
  const path = `/${file.name}`;
  const size = file.size;

  test(`${file.name}: one range → 206 with Content-Range and exactly those bytes`, async () => {
    const cases: ReadonlyArray<readonly [string, number, number]> = [
      ['bytes=0-0', 0, 0],
      ['bytes=100-199', 100, 199],
      [`bytes=${size - 10}-`, size - 10, size - 1],
      ['bytes=-25', size - 25, size - 1],
      [`bytes=9000-${size * 2}`, 9000, size - 1],
      [`bytes=-${size * 3}`, 0, size - 1], // a suffix longer than the file: all of it
      ['BYTES=5-6', 5, 6],
    ];
    for (const [range, start, end] of cases) {
      const response = await get(path, { Range: range });
      assert.equal(response.status, 206, range);
      assert.equal(response.headers.get('content-range'), `bytes ${start}-${end}/${size}`, range);
      assert.equal(response.headers.get('content-length'), String(end - start + 1), range);
      assert.deepEqual(response.body, file.data.subarray(start, end + 1), range);
    }
  });

  test(`${file.name}: HEAD with a Range answers the 206 head without a body`, async () => {
    const response = await get(path, { Range: 'bytes=10-19' }, 'HEAD');
    assert.equal(response.status, 206);
    assert.equal(response.headers.get('content-range'), `bytes 10-19/${size}`);
    assert.equal(response.headers.get('content-length'), '10');
    assert.equal(response.body.length, 0);
  });

  test(`${file.name}: ranges in descending order are each sent, in the order asked`, async () => {
    // Found by the fuzzer: from a descriptor, a part before the previous one was skipped, so
    // the body fell short of its Content-Length and the client waited for bytes never sent.
    const response = await get(path, { Range: `bytes=-50,5000-5099,0-9` });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get('content-length'), String(response.body.length));
    const parts = parseByteRanges(response.body, response.headers.get('content-type') ?? '');
    assert.deepEqual(
      parts.map((part) => part.contentRange),
      [`bytes ${size - 50}-${size - 1}/${size}`, `bytes 5000-5099/${size}`, `bytes 0-9/${size}`],
    );
    assert.deepEqual(parts[0]?.body, file.data.subarray(size - 50));
    assert.deepEqual(parts[1]?.body, file.data.subarray(5000, 5100));
    assert.deepEqual(parts[2]?.body, file.data.subarray(0, 10));
  });

  test(`${file.name}: several ranges → multipart/byteranges, each part's bytes checked`, async () => {
    const response = await get(path, { Range: 'bytes=0-9, 5000-5099,-50' });
    assert.equal(response.status, 206);
    const type = response.headers.get('content-type') ?? '';
    assert.match(type, /^multipart\/byteranges; boundary=/);
    assert.equal(response.headers.get('content-length'), String(response.body.length));
    const parts = parseByteRanges(response.body, type);
    const expected: ReadonlyArray<readonly [number, number]> = [
      [0, 9],
      [5000, 5099],
      [size - 50, size - 1],
    ];
    assert.equal(parts.length, expected.length);
    parts.forEach((part, i) => {
      const [start, end] = expected[i] ?? [0, 0];
      assert.equal(part.contentRange, `bytes ${start}-${end}/${size}`);
      assert.equal(
        part.contentType,
        file.name.endsWith('.iso') ? 'application/x-iso9660-image' : 'application/octet-stream',
      );
      assert.deepEqual(part.body, file.data.subarray(start, end + 1));
    });
  });

  test(`${file.name}: unsatisfiable → 416 with Content-Range: bytes */SIZE`, async () => {
    const unsatisfiable = [
      `bytes=${size}-`,
      `bytes=${size + 5}-${size + 10}`,
      'bytes=-0',
      `bytes=${size}-,${size + 1}-`,
      `bytes=${'9'.repeat(40)}-`,
    ];
    for (const range of unsatisfiable) {
      const response = await get(path, { Range: range });
      assert.equal(response.status, 416, range);
      assert.equal(response.headers.get('content-range'), `bytes */${size}`, range);
      assert.ok(!response.body.includes(file.data.subarray(0, 32)));
    }
  });

  test(`${file.name}: a malformed Range is ignored → the full 200`, async () => {
    const malformed = [
      'bytes=abc',
      'bytes=5-2',
      'bytes=--3',
      'bytes=1-2-3',
      'bytes= ',
      'bytes=',
      'items=0-5',
      '0-5',
      'bytes=0x10-0x20',
      'bytes=1.5-3',
    ];
    for (const range of malformed) {
      const response = await get(path, { Range: range });
      assert.equal(response.status, 200, range);
      assert.equal(sha256(response.body), file.sha256, range);
    }
  });

  test(`${file.name}: abusive ranges are coalesced, or refused (416) unless the file is small`, async () => {
    // 200 tiny disjoint ranges: more than MAX_RANGES (32) after coalescing.
    const disjoint = Array.from({ length: 200 }, (_, i) => `${i * 2}-${i * 2}`).join(',');
    const excessive = await get(path, { Range: `bytes=${disjoint}` });
    if (size <= 64 * 1024) assertFull(excessive, file);
    else {
      assert.equal(excessive.status, 416);
      assert.equal(excessive.headers.get('content-range'), `bytes */${size}`);
      assert.ok(excessive.body.length < 100, String(excessive.body.length));
    }
    // 200 adjacent one-byte ranges coalesce into one.
    const adjacent = Array.from({ length: 200 }, (_, i) => `${i}-${i}`).join(',');
    const merged = await get(path, { Range: `bytes=${adjacent}` });
    assert.equal(merged.status, 206);
    assert.equal(merged.headers.get('content-range'), `bytes 0-199/${size}`);
    assert.deepEqual(merged.body, file.data.subarray(0, 200));
    // 100 copies of a heavily overlapping range: one part, never the same byte twice.
    const overlapping = Array.from({ length: 100 }, (_, i) => `${i}-${5000 + i}`).join(',');
    const once = await get(path, { Range: `bytes=${overlapping}` });
    assert.equal(once.status, 206);
    assert.equal(once.headers.get('content-range'), `bytes 0-5099/${size}`);
    assert.equal(once.body.length, 5100);
    // Two overlapping plus one apart: two parts, the response no larger than the file.
    const two = await get(path, { Range: 'bytes=0-999,500-1499,8000-8099' });
    const parts = parseByteRanges(two.body, two.headers.get('content-type') ?? '');
    assert.deepEqual(
      parts.map((p) => p.contentRange),
      [`bytes 0-1499/${size}`, `bytes 8000-8099/${size}`],
    );
    assert.deepEqual(parts[0]?.body, file.data.subarray(0, 1500));
  });

  test(`${file.name}: If-Range with the current ETag or date → 206; another → 200`, async () => {
    const etag = etags.get(file) ?? '';
    const current = await get(path, { Range: 'bytes=0-99', 'If-Range': etag });
    assert.equal(current.status, 206);
    const byDate = await get(path, { Range: 'bytes=0-99', 'If-Range': lastModified });
    assert.equal(byDate.status, 206);
    for (const stale of ['"other"', `W/${etag}`, earlier, 'junk']) {
      const response = await get(path, { Range: 'bytes=0-99', 'If-Range': stale });
      assertFull(response, file);
    }
  });
}

test('an empty file ignores Range: 200 with no body', async () => {
  await writeFile(join(root.path, 'empty.txt'), '');
  const response = await get('/empty.txt', { Range: 'bytes=0-10' });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-length'), '0');
});

test('If-Range with an old ETag after the file was replaced by rename → the full 200, new bytes, new ETag', async () => {
  const name = 'replaced.iso';
  const oldData = randomBytes(300_000);
  await writeFile(join(root.path, name), oldData);
  // Published a while ago: a file modified within the last second has a weak ETag.
  await utimes(
    join(root.path, name),
    new Date('2025-01-01T01:01:01Z'),
    new Date('2025-01-01T01:01:01Z'),
  );
  const before = await get(`/${name}`, { Range: 'bytes=0-999' });
  assert.equal(before.status, 206);
  const oldEtag = before.headers.get('etag') ?? '';
  assert.equal(
    (await get(`/${name}`, { Range: 'bytes=1000-1999', 'If-Range': oldEtag })).status,
    206,
  );

  // What rsync does: write a temporary file, then rename it over the old one.
  const newData = randomBytes(310_000);
  const temporary = join(root.path, `.${name}.tmp`);
  await writeFile(temporary, newData);
  await utimes(temporary, new Date('2025-02-02T02:02:02Z'), new Date('2025-02-02T02:02:02Z'));
  await rename(temporary, join(root.path, name));

  const resumed = await get(`/${name}`, { Range: 'bytes=1000-', 'If-Range': oldEtag });
  assert.equal(resumed.status, 200, 'an old ETag must never splice two versions');
  assert.equal(sha256(resumed.body), sha256(newData));
  const newEtag = resumed.headers.get('etag');
  assert.notEqual(newEtag, oldEtag);
  const fresh = await get(`/${name}`, { Range: 'bytes=1000-', 'If-Range': newEtag ?? '' });
  assert.equal(fresh.status, 206);
  assert.deepEqual(fresh.body, newData.subarray(1000));
});

test('100 one-byte ranges of a 1 GiB file get a short 416, not 1 GiB', async () => {
  const sparse = join(root.path, 'sparse-1gib.iso');
  await writeFile(sparse, '');
  await truncate(sparse, 1024 ** 3);
  const response = await get('/sparse-1gib.iso', { Range: oneByteRanges(100) });
  assert.equal(response.status, 416);
  assert.equal(response.headers.get('content-range'), `bytes */${1024 ** 3}`);
  assert.ok(response.body.length < 100, String(response.body.length));
  // 32 of them, after coalescing, still get their multipart.
  const allowed = await get('/sparse-1gib.iso', { Range: oneByteRanges(32) });
  assert.equal(allowed.status, 206);
  const parts = parseByteRanges(allowed.body, allowed.headers.get('content-type') ?? '');
  assert.equal(parts.length, 32);
  assert.ok(parts.every((part) => part.body.length === 1));
});
