/**
 * The HTTP/1.1 wire against the real server: methods, HEAD, pipelining, HTTP/1.0, refused
 * framing (every smuggling shape answers 400 and closes), size limits, and the headers every
 * file response carries.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, sha256, writeRandomFile } from '../helpers/fixtures.js';
import { exchange, fetchRaw, rawRequest, RawConnection } from '../helpers/raw-http.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const one = await writeRandomFile(root.path, 'one.bin', 1000);
const two = await writeRandomFile(root.path, 'two.bin', 70_000);
// Above the small-file cache (256 KiB): this one streams from its descriptor.
const three = await writeRandomFile(root.path, 'three.bin', 300_000);
await writeFile(join(root.path, 'notes.txt'), 'hello\n');
await writeFile(join(root.path, 'image.iso'), 'iso');
await writeFile(join(root.path, 'data.qqqx'), 'unknown');
await writeFile(join(root.path, 'README'), 'no extension');

const server = await startEbb(['--listen', '127.0.0.1:0', '--access-log', 'off', root.path]);
const port = server.port;

test('GET answers 200 with the exact bytes; HEAD the same headers and no body', async () => {
  const get = await fetchRaw(port, `/${two.name}`);
  assert.equal(get.status, 200);
  assert.equal(sha256(get.body), two.sha256);
  assert.equal(get.headers.get('content-length'), String(two.size));
  // HEAD then GET pipelined: a HEAD body would be read as the start of the second response.
  const { responses, extra } = await exchange(
    port,
    rawRequest(`/${two.name}`, {}, 'HEAD') + rawRequest(`/${one.name}`),
    { count: 2, methods: ['HEAD', 'GET'] },
  );
  const [head, next] = responses;
  assert.equal(head?.status, 200);
  assert.equal(head?.body.length, 0);
  for (const name of ['content-type', 'content-length', 'etag', 'last-modified', 'accept-ranges']) {
    assert.equal(head?.headers.get(name), get.headers.get(name), name);
  }
  assert.equal(next?.status, 200);
  assert.equal(next && sha256(next.body), one.sha256);
  assert.equal(extra.length, 0);
});

for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
  test(`${method} → 405 with Allow: GET, HEAD`, async () => {
    const body = method === 'POST' || method === 'PUT' ? 'abc' : '';
    const headers: Record<string, string> =
      body === '' ? {} : { 'Content-Length': String(body.length) };
    const { responses } = await exchange(port, rawRequest(`/${one.name}`, headers, method) + body);
    const [response] = responses;
    assert.equal(response?.status, 405);
    assert.equal(response?.headers.get('allow'), 'GET, HEAD');
  });
}

test('3 pipelined GETs in one write are answered in order on one connection', async () => {
  const files = [two, one, three];
  const { responses, ended } = await exchange(
    port,
    files.map((f) => rawRequest(`/${f.name}`)).join(''),
    { count: 3 },
  );
  assert.deepEqual(
    responses.map((r) => [r.status, sha256(r.body)]),
    files.map((f) => [200, f.sha256]),
  );
  assert.equal(ended, false, 'an HTTP/1.1 connection stays open');
});

test('HTTP/1.0 closes after the response unless keep-alive is asked for', async () => {
  const plain = await exchange(port, `GET /${one.name} HTTP/1.0\r\n\r\n`, { waitForEnd: true });
  assert.equal(plain.responses[0]?.status, 200);
  assert.equal(plain.responses[0]?.headers.get('connection'), 'close');
  assert.equal(plain.ended, true);

  const kept = await RawConnection.open(port);
  try {
    const request = `GET /${one.name} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`;
    kept.write(request);
    const [first] = await kept.responses(1);
    assert.equal(first?.headers.get('connection'), 'keep-alive');
    kept.write(request);
    const [, second] = await kept.responses(2);
    assert.equal(second && sha256(second.body), one.sha256);
    assert.equal(kept.isEnded, false);
  } finally {
    kept.close();
  }
});

test('Connection: close on HTTP/1.1 is honoured', async () => {
  const { responses, ended } = await exchange(
    port,
    rawRequest(`/${one.name}`, { Connection: 'close' }),
  );
  assert.equal(responses[0]?.headers.get('connection'), 'close');
  assert.equal(ended, true);
});

const smuggled = rawRequest(`/${one.name}`);
const refusedShapes: ReadonlyArray<readonly [string, string]> = [
  [
    'Content-Length and Transfer-Encoding',
    `POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
  ],
  [
    'Transfer-Encoding and Content-Length (reversed)',
    `GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n${smuggled}`,
  ],
  [
    'Transfer-Encoding: chunked alone',
    `GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
  ],
  [
    'Transfer-Encoding: chunked with bad chunking',
    `POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n${smuggled}`,
  ],
  [
    'obfuscated Transfer-Encoding',
    `GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\nTransfer-Encoding : chunked\r\n\r\n${smuggled}`,
  ],
  [
    'duplicate differing Content-Length',
    `POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc${smuggled}`,
  ],
  [
    'Content-Length list with differing values',
    `POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 40\r\n\r\nabc${smuggled}`,
  ],
  ['negative Content-Length', `GET / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n${smuggled}`],
  ['obs-fold', `GET /${one.name} HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n  b\r\n\r\n${smuggled}`],
  ['space before the colon', `GET /${one.name} HTTP/1.1\r\nHost : t\r\n\r\n${smuggled}`],
  ['bare LF inside the head', `GET /${one.name} HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n${smuggled}`],
  ['bare CR inside the head', `GET /${one.name} HTTP/1.1\r\nHost: t\rX-A: b\r\n\r\n${smuggled}`],
  ['missing Host', `GET /${one.name} HTTP/1.1\r\nUser-Agent: x\r\n\r\n${smuggled}`],
  ['two Host fields', `GET /${one.name} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n${smuggled}`],
  ['malformed request line', `GET  /${one.name} HTTP/1.1\r\nHost: t\r\n\r\n${smuggled}`],
  ['lower-case version', `GET /${one.name} http/1.1\r\nHost: t\r\n\r\n${smuggled}`],
];

for (const [shape, bytes] of refusedShapes) {
  test(`${shape} → 400, connection closed, the smuggled request never answered`, async () => {
    const { responses, ended, extra } = await exchange(port, bytes, { waitForEnd: true });
    assert.equal(responses[0]?.status, 400);
    assert.equal(responses[0]?.headers.get('connection'), 'close');
    assert.equal(ended, true);
    assert.equal(extra.length, 0, `bytes after the 400: ${extra.toString('latin1')}`);
  });
}

test('a request whose lines all end in bare LF is refused with 400 at once, not left to time out', async () => {
  const { responses, ended } = await exchange(port, `GET /${one.name} HTTP/1.1\nHost: t\n\n`, {
    waitForEnd: true,
  });
  assert.equal(responses[0]?.status, 400);
  assert.equal(ended, true);
});

test('HTTP/2.0 in a request line → 505', async () => {
  const { responses } = await exchange(port, `GET / HTTP/2.0\r\nHost: t\r\n\r\n`);
  assert.equal(responses[0]?.status, 505);
});

test('a GET with content is answered, then the connection closes: the content is never parsed as a request', async () => {
  const { responses, ended, extra } = await exchange(
    port,
    `GET /${one.name} HTTP/1.1\r\nHost: t\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
    { waitForEnd: true },
  );
  assert.equal(responses[0]?.status, 200);
  assert.equal(responses[0] && sha256(responses[0].body), one.sha256);
  assert.equal(ended, true);
  assert.equal(extra.length, 0);
});

test('oversized request head → 431, also when it arrives without its end', async () => {
  const many = Array.from({ length: 300 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(60)}\r\n`);
  const complete = `GET /${one.name} HTTP/1.1\r\nHost: t\r\n${many.join('')}\r\n`;
  const big = await exchange(port, complete, { waitForEnd: true });
  assert.equal(big.responses[0]?.status, 431);
  assert.equal(big.ended, true);
  const unfinished = `GET /${one.name} HTTP/1.1\r\nHost: t\r\nX-Big: ${'x'.repeat(20_000)}`;
  const partial = await exchange(port, unfinished, { waitForEnd: true });
  assert.equal(partial.responses[0]?.status, 431);
  const count = Array.from({ length: 120 }, (_, i) => `X-${i}: v\r\n`).join('');
  const tooMany = await exchange(port, `GET / HTTP/1.1\r\nHost: t\r\n${count}\r\n`);
  assert.equal(tooMany.responses[0]?.status, 431);
});

test('overlong request line → 414, also before its end arrives', async () => {
  const long = `/${'a'.repeat(9000)}`;
  const whole = await exchange(port, rawRequest(long), { waitForEnd: true });
  assert.equal(whole.responses[0]?.status, 414);
  assert.equal(whole.ended, true);
  const partial = await exchange(port, `GET ${long}`, { waitForEnd: true });
  assert.equal(partial.responses[0]?.status, 414);
});

test('Content-Type: .iso from the MIME database, charset on text, octet-stream otherwise', async () => {
  const expected: ReadonlyArray<readonly [string, string]> = [
    ['/image.iso', 'application/x-iso9660-image'],
    ['/notes.txt', 'text/plain; charset=utf-8'],
    ['/data.qqqx', 'application/octet-stream'],
    ['/README', 'application/octet-stream'],
  ];
  for (const [path, type] of expected) {
    const response = await fetchRaw(port, path);
    assert.equal(response.headers.get('content-type'), type, path);
  }
});

test('file responses carry Last-Modified, a strong ETag, Accept-Ranges, Date and nosniff', async () => {
  const mtime = new Date('2024-03-05T06:07:08Z');
  await utimes(join(root.path, 'notes.txt'), mtime, mtime);
  const before = Date.now();
  // The same path was fetched above: it may be cached for a second; a fresh name is not.
  await writeFile(join(root.path, 'dated.txt'), 'dated\n');
  await utimes(join(root.path, 'dated.txt'), mtime, mtime);
  const response = await fetchRaw(port, '/dated.txt');
  assert.equal(response.headers.get('last-modified'), 'Tue, 05 Mar 2024 06:07:08 GMT');
  assert.match(response.headers.get('etag') ?? '', /^"[^"]+"$/, 'a strong, quoted ETag');
  assert.equal(response.headers.get('accept-ranges'), 'bytes');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  const date = Date.parse(response.headers.get('date') ?? '');
  assert.ok(date >= Math.floor(before / 1000) * 1000 - 1000 && date <= Date.now() + 1000);
  assert.match(response.headers.get('date') ?? '', /^\w{3}, \d{2} \w{3} \d{4} [\d:]{8} GMT$/);
});

test('two copies of a file (same size and mtime) in two roots have the same ETag', async () => {
  const otherRoot = await makeTempDir();
  after(otherRoot.remove);
  const mtime = new Date('2025-01-02T03:04:05.678Z');
  await mkdir(join(otherRoot.path, 'pub'));
  const copies = [join(root.path, 'copy.iso'), join(otherRoot.path, 'pub', 'copy.iso')];
  for (const path of copies) {
    await writeFile(path, three.data);
    await utimes(path, mtime, mtime);
  }
  const other = await startEbb(['--listen', '127.0.0.1:0', '--access-log', 'off', otherRoot.path]);
  const a = await fetchRaw(port, '/copy.iso', {}, 'HEAD');
  const b = await fetchRaw(other.port, '/pub/copy.iso', {}, 'HEAD');
  assert.ok(a.headers.get('etag'));
  assert.equal(a.headers.get('etag'), b.headers.get('etag'));
  assert.equal(a.headers.get('last-modified'), b.headers.get('last-modified'));
  // And a download cut on one resumes on the other.
  const etag = a.headers.get('etag') ?? '';
  const resumed = await fetchRaw(other.port, '/pub/copy.iso', {
    Range: 'bytes=1000-',
    'If-Range': etag,
  });
  assert.equal(resumed.status, 206);
  assert.deepEqual(resumed.body, three.data.subarray(1000));
});

test('the server survives all of the above and still serves', async () => {
  const response = await fetchRaw(port, `/${three.name}`);
  assert.equal(sha256(response.body), three.sha256);
  assert.equal(server.child.exitCode, null);
});
