import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, readdirSync, readSync, realpathSync } from 'node:fs';
import { mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reply, RequestHandler } from '../../../src/http/types.js';
import { createStaticHandler, type StaticOptions } from '../../../src/serve/handler.js';

// Created now (handlers are built while the suites are declared); filled in `before`.
const base = realpathSync(mkdtempSync(join(tmpdir(), 'ebb-serve-')));
const root = join(base, 'root');
const BIG = randomBytes(100_000);
const INDEX = '<!DOCTYPE html><p>index</p>\n';
const MTIME_S = 1_700_000_000;

before(async () => {
  await mkdir(join(root, 'pub', 'sub'), { recursive: true });
  await mkdir(join(root, 'site'));
  await mkdir(join(root, '.hidden'));
  await writeFile(join(base, 'outside.txt'), 'secret outside the root\n');
  await writeFile(join(root, 'big.bin'), BIG);
  await utimes(join(root, 'big.bin'), MTIME_S, MTIME_S);
  await writeFile(join(root, 'empty.txt'), '');
  await writeFile(join(root, '.secret'), 'dot\n');
  await writeFile(join(root, '.hidden', 'x.txt'), 'x\n');
  await writeFile(join(root, 'site', 'index.html'), INDEX);
  // A file name cannot hold `/`, so `<script>…</script>` itself is covered in listing.test.ts.
  await writeFile(join(root, 'pub', '<img src=x onerror=alert(1)>'), 'xss\n');
  await writeFile(join(root, 'pub', 'a&b"c'), 'amp\n');
  await writeFile(join(root, 'pub', 'debian.iso'), randomBytes(10));
  await writeFile(join(root, 'pub', '.dotfile'), 'dot\n');
  execFileSync('mkfifo', [join(root, 'fifo'), join(root, 'pub', 'fifo')]);
  await symlink(join(base, 'outside.txt'), join(root, 'outside-link'));
  await symlink(join(base, 'outside.txt'), join(root, 'pub', 'outside-link'));
  await symlink('big.bin', join(root, 'inside-link'));
  await symlink('../.secret', join(root, 'pub', 'dot-link'));
  await symlink('missing', join(root, 'pub', 'broken-link'));
  await symlink(base, join(root, 'pub', 'escape-dir'));
});

after(async () => {
  await rm(base, { recursive: true, force: true });
});

const defaults = (): StaticOptions => ({
  root,
  index: 'index.html',
  listing: true,
  dotfiles: 'deny',
  followSymlinks: false,
  cacheControl: null,
});

interface Received {
  readonly reply: Reply;
  readonly body: Buffer;
  header(name: string): string | undefined;
}

/** Call the handler, read the body back as the wire would (file segments from fd), close fd. */
async function call(
  handler: RequestHandler,
  target: string,
  headers: Array<[string, string]> = [],
  method = 'GET',
): Promise<Received> {
  const reply = await handler({ method, target, minorVersion: 1, headers });
  const chunks = reply.body.map((segment) => {
    if (segment.kind === 'bytes') return segment.data;
    assert.notEqual(reply.fd, undefined, 'a file segment needs an fd');
    const chunk = Buffer.alloc(segment.end - segment.start + 1);
    readSync(reply.fd ?? -1, chunk, 0, chunk.length, segment.start);
    return chunk;
  });
  if (reply.fd !== undefined) closeSync(reply.fd);
  const body = Buffer.concat(chunks);
  const length = reply.headers.find(([name]) => name === 'Content-Length')?.[1];
  if (length !== undefined) assert.equal(Number(length), body.length, 'Content-Length');
  return {
    reply,
    body,
    header: (name) => reply.headers.find(([key]) => key === name)?.[1],
  };
}

const openFdCount = (): number => readdirSync('/proc/self/fd').length;

void describe('static handler: files', () => {
  const handler = createStaticHandler({ ...defaults(), cacheControl: 'public, max-age=60' });

  void it('serves a file with its headers and the right bytes', async () => {
    const got = await call(handler, '/big.bin');
    assert.equal(got.reply.status, 200);
    assert.ok(got.body.equals(BIG));
    assert.deepEqual(
      got.reply.headers.map(([name]) => name),
      [
        'Content-Type',
        'Content-Length',
        'Last-Modified',
        'ETag',
        'Accept-Ranges',
        'X-Content-Type-Options',
        'Cache-Control',
      ],
    );
    assert.equal(got.header('Content-Type'), 'application/octet-stream');
    assert.equal(got.header('Last-Modified'), new Date(MTIME_S * 1000).toUTCString());
    assert.equal(got.header('ETag'), `"${MTIME_S.toString(16)}-${BIG.length.toString(16)}"`);
    assert.equal(got.header('Cache-Control'), 'public, max-age=60');
    assert.equal(got.reply.range, undefined);
  });

  void it('answers HEAD with the same reply as GET', async () => {
    const get = await call(handler, '/big.bin', [['range', 'bytes=0-9']]);
    const head = await call(handler, '/big.bin', [['range', 'bytes=0-9']], 'HEAD');
    assert.deepEqual(head.reply.headers, get.reply.headers);
    assert.equal(head.reply.status, 206);
    assert.ok(head.body.equals(get.body));
  });

  void it('serves one range', async () => {
    const got = await call(handler, '/big.bin', [['range', 'bytes=100-199']]);
    assert.equal(got.reply.status, 206);
    assert.equal(got.header('Content-Range'), `bytes 100-199/${BIG.length}`);
    assert.equal(got.reply.range, 'bytes=100-199');
    assert.ok(got.body.equals(BIG.subarray(100, 200)));
  });

  void it('serves several ranges as multipart/byteranges', async () => {
    const got = await call(handler, '/big.bin', [['range', 'bytes=-5,0-3']]);
    assert.equal(got.reply.status, 206);
    const boundary = /^multipart\/byteranges; boundary=(.+)$/.exec(
      got.header('Content-Type') ?? '',
    )?.[1];
    assert.ok(boundary);
    const size = BIG.length;
    const expected = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Type: application/octet-stream\r\n`),
      Buffer.from(`Content-Range: bytes ${size - 5}-${size - 1}/${size}\r\n\r\n`),
      BIG.subarray(size - 5),
      Buffer.from(`\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\n`),
      Buffer.from(`Content-Range: bytes 0-3/${size}\r\n\r\n`),
      BIG.subarray(0, 4),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    assert.ok(got.body.equals(expected));
  });

  void it('answers 416 for an unsatisfiable range, without an fd', async () => {
    const got = await call(handler, '/big.bin', [['range', `bytes=${BIG.length}-`]]);
    assert.equal(got.reply.status, 416);
    assert.equal(got.header('Content-Range'), `bytes */${BIG.length}`);
    assert.equal(got.reply.fd, undefined);
  });

  void it('ignores a malformed range', async () => {
    const got = await call(handler, '/big.bin', [['range', 'bytes=9-1']]);
    assert.equal(got.reply.status, 200);
    assert.ok(got.body.equals(BIG));
  });

  void it('refuses more than 32 ranges with 416 (a file over 64 KiB is not sent whole)', async () => {
    const range = 'bytes=' + Array.from({ length: 33 }, (_, i) => `${i * 3}-${i * 3}`).join(',');
    const got = await call(handler, '/big.bin', [['range', range]]);
    assert.equal(got.reply.status, 416);
    assert.equal(got.header('Content-Range'), `bytes */${BIG.length}`);
    assert.equal(got.reply.fd, undefined);
  });

  void it('honours If-Range only when it matches', async () => {
    const etag = (await call(handler, '/big.bin')).header('ETag') ?? '';
    const lastModified = new Date(MTIME_S * 1000).toUTCString();
    const cases: Array<[string, number]> = [
      [etag, 206],
      [`W/${etag}`, 200],
      ['"stale"', 200],
      [lastModified, 206],
      [new Date((MTIME_S + 1) * 1000).toUTCString(), 200],
    ];
    for (const [ifRange, status] of cases) {
      const got = await call(handler, '/big.bin', [
        ['range', 'bytes=0-0'],
        ['if-range', ifRange],
      ]);
      assert.equal(got.reply.status, status, ifRange);
    }
  });

  void it('answers conditional requests', async () => {
    const etag = (await call(handler, '/big.bin')).header('ETag') ?? '';
    const notModified = await call(handler, '/big.bin', [['if-none-match', etag]]);
    assert.equal(notModified.reply.status, 304);
    assert.deepEqual(notModified.reply.headers, [
      ['Last-Modified', new Date(MTIME_S * 1000).toUTCString()],
      ['ETag', etag],
      ['Cache-Control', 'public, max-age=60'],
    ]);
    assert.equal(notModified.reply.fd, undefined);
    assert.equal(notModified.body.length, 0);
    const failed = await call(handler, '/big.bin', [['if-match', '"other"']]);
    assert.equal(failed.reply.status, 412);
    const since = await call(handler, '/big.bin', [
      ['if-modified-since', new Date(MTIME_S * 1000).toUTCString()],
    ]);
    assert.equal(since.reply.status, 304);
  });

  void it('serves an empty file without an fd', async () => {
    const got = await call(handler, '/empty.txt', [['range', 'bytes=0-']]);
    assert.equal(got.reply.status, 200);
    assert.equal(got.header('Content-Type'), 'text/plain; charset=utf-8');
    assert.equal(got.header('Content-Length'), '0');
    assert.equal(got.reply.fd, undefined);
  });

  void it('takes the content type from the requested name', async () => {
    assert.equal(
      (await call(handler, '/pub/debian.iso')).header('Content-Type'),
      'application/x-iso9660-image',
    );
  });
});

void describe('static handler: refusals', () => {
  const handler = createStaticHandler(defaults());
  const cases: Array<[string, string, number]> = [
    ['POST', '/big.bin', 405],
    ['get', '/big.bin', 405],
    ['GET', '*', 400],
    ['GET', '/../etc/passwd', 400],
    ['GET', '/%2e%2e/outside.txt', 400],
    ['GET', '/..%2foutside.txt', 400],
    ['GET', '/pub/%2e%2e%2f..%2foutside.txt', 400],
    ['GET', '/%252e%252e/outside.txt', 404],
    ['GET', '/pub\\..\\big.bin', 400],
    ['GET', '/big.bin%00.txt', 400],
    ['GET', '/a#b', 400],
    ['GET', 'http://elsewhere.example/../outside.txt', 400],
    ['GET', `/${'x'.repeat(256)}`, 404],
    ['GET', '/missing', 404],
    ['GET', '/big.bin/', 404],
    ['GET', '/big.bin/x', 404],
    ['GET', '/.secret', 404],
    ['GET', '/.hidden/x.txt', 404],
    ['GET', '/fifo', 404],
    ['GET', '/outside-link', 404],
    ['GET', '/pub/dot-link', 404],
    ['GET', '/pub/broken-link', 404],
    ['GET', '/pub/escape-dir/outside.txt', 404],
  ];
  for (const [method, target, status] of cases) {
    void it(`${method} ${target.slice(0, 40)} → ${status}, no fd left open`, async () => {
      const before = openFdCount();
      const got = await call(handler, target, [], method);
      assert.equal(got.reply.status, status);
      assert.equal(got.reply.fd, undefined);
      assert.equal(openFdCount(), before);
      if (status === 405) {
        assert.equal(got.header('Allow'), 'GET, HEAD');
        assert.equal(got.reply.closeConnection, true);
      }
      assert.equal(got.body.toString(), got.body.toString().split('\n')[0] + '\n');
    });
  }

  void it('serves absolute-form targets for any host', async () => {
    const got = await call(handler, 'http://any.mirror.example:8080/big.bin');
    assert.equal(got.reply.status, 200);
  });

  void it('follows a symlink inside the root', async () => {
    const got = await call(handler, '/inside-link');
    assert.equal(got.reply.status, 200);
    assert.ok(got.body.equals(BIG));
  });

  void it('with dotfiles allowed and symlinks followed, serves both', async () => {
    const open = createStaticHandler({ ...defaults(), dotfiles: 'allow', followSymlinks: true });
    assert.equal((await call(open, '/.secret')).body.toString(), 'dot\n');
    assert.equal((await call(open, '/outside-link')).body.toString(), 'secret outside the root\n');
    assert.equal((await call(open, '/fifo')).reply.status, 404);
  });
});

void describe('static handler: directories', () => {
  const handler = createStaticHandler({ ...defaults(), cacheControl: 'no-cache' });

  void it('redirects to the slashed path, keeping encoding and query', async () => {
    const cases: Array<[string, string]> = [
      ['/pub', '/pub/'],
      ['/pub?x=1&y=%20', '/pub/?x=1&y=%20'],
      ['/pu%62', '/pu%62/'],
      ['//pub', '/pub/'],
      ['http://host/pub/sub', '/pub/sub/'],
      // What a URI may not hold is percent-encoded, in the query and the path alike.
      ['/pub?a="<script>"&b=\\{|}^`', '/pub/?a=%22%3Cscript%3E%22&b=%5C%7B%7C%7D%5E%60'],
      ['/pub?lone=%&ok=%41&bad=%4g', '/pub/?lone=%25&ok=%41&bad=%254g'],
      ['/pu%62?[x]', '/pu%62/?%5Bx%5D'],
    ];
    for (const [target, location] of cases) {
      const got = await call(handler, target);
      assert.equal(got.reply.status, 301, target);
      assert.equal(got.header('Location'), location);
      assert.equal(got.header('Content-Type'), 'text/html; charset=utf-8');
    }
  });

  void it('serves the index file, with ranges', async () => {
    const got = await call(handler, '/site/');
    assert.equal(got.reply.status, 200);
    assert.equal(got.body.toString(), INDEX);
    assert.equal(got.header('Content-Type'), 'text/html; charset=utf-8');
    const part = await call(handler, '/site/', [['range', 'bytes=0-8']]);
    assert.equal(part.reply.status, 206);
    assert.equal(part.body.toString(), INDEX.slice(0, 9));
  });

  void it('lists a directory with only reachable entries', async () => {
    const got = await call(handler, '/pub/');
    assert.equal(got.reply.status, 200);
    assert.equal(got.header('Content-Type'), 'text/html; charset=utf-8');
    assert.equal(got.header('Cache-Control'), 'no-cache');
    const html = got.body.toString();
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(hrefs, [
      '../',
      'sub/',
      '%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E',
      'a%26b%22c',
      'debian.iso',
    ]);
    assert.ok(html.includes('>&lt;img src=x onerror=alert(1)&gt;</a>'));
    assert.ok(html.includes('a&amp;b&quot;c'));
    assert.ok(!html.includes('<img'));
  });

  void it('lists the root without a parent link, hiding dot entries', async () => {
    const html = (await call(handler, '/')).body.toString();
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(hrefs, ['pub/', 'site/', 'big.bin', 'empty.txt', 'inside-link']);
  });

  void it('shows dot entries and outside links when allowed', async () => {
    const open = createStaticHandler({ ...defaults(), dotfiles: 'allow', followSymlinks: true });
    const html = (await call(open, '/pub/')).body.toString();
    assert.ok(html.includes('href=".dotfile"'));
    assert.ok(html.includes('href="outside-link"'));
    assert.ok(html.includes('href="escape-dir/"'));
    assert.ok(!html.includes('href="fifo"'));
    assert.ok(!html.includes('href="broken-link"'));
  });

  void it('answers 403 without index or listing', async () => {
    const closed = createStaticHandler({ ...defaults(), index: null, listing: false });
    assert.equal((await call(closed, '/site/')).reply.status, 403);
    const indexOnly = createStaticHandler({ ...defaults(), listing: false });
    assert.equal((await call(indexOnly, '/site/')).reply.status, 200);
    assert.equal((await call(indexOnly, '/pub/')).reply.status, 403);
  });

  void it('applies * conditions to listings', async () => {
    assert.equal((await call(handler, '/pub/', [['if-none-match', '*']])).reply.status, 304);
    assert.equal((await call(handler, '/pub/', [['if-match', '"x"']])).reply.status, 412);
  });
});
