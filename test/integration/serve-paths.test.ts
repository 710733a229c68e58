/**
 * Path safety against the real server: traversal in every spelling answers 400 or 404 and never
 * a byte of the secret file placed just outside the root; symlinks out of the root; dotfiles;
 * non-regular files (a FIFO must answer at once, never hang).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { startEbb, stopAll, type EbbServer } from '../helpers/ebb-process.js';
import { makeTempDir } from '../helpers/fixtures.js';
import { exchange, fetchRaw, type RawResponse } from '../helpers/raw-http.js';

after(stopAll);

const base = await makeTempDir();
after(base.remove);
const root = join(base.path, 'root');
const secret = `SECRET-${randomBytes(16).toString('hex')}`;
await mkdir(join(root, 'sub', 'deeper'), { recursive: true });
await mkdir(join(root, '.git'));
await mkdir(join(base.path, 'outside'));
// A sibling whose name starts with the root's: a naive prefix check would let it through.
await mkdir(join(base.path, 'root-evil'));
await writeFile(join(base.path, 'secret.txt'), secret);
await writeFile(join(base.path, 'outside', 'secret.txt'), secret);
await writeFile(join(base.path, 'root-evil', 'secret.txt'), secret);
await writeFile(join(root, 'public.txt'), 'public\n');
await writeFile(join(root, 'sub', 'deeper', 'file.txt'), 'deep\n');
await writeFile(join(root, '.hidden'), 'hidden\n');
await writeFile(join(root, '.git', 'config'), 'config\n');
await symlink('../secret.txt', join(root, 'link-out.txt'));
await symlink('../outside', join(root, 'link-dir-out'));
await symlink('../root-evil/secret.txt', join(root, 'link-prefix.txt'));
await symlink('public.txt', join(root, 'link-in.txt'));
await symlink('.hidden', join(root, 'visible-name'));
await symlink('loop', join(root, 'loop'));
// Names that are not UTF-8, as on an old Latin-1 mirror: made with Buffer paths.
const bytePath = (...names: Array<string | Buffer>): Buffer =>
  Buffer.concat([
    Buffer.from(root),
    ...names.flatMap((name) => [Buffer.from('/'), Buffer.from(name)]),
  ]);
const latin1Dir = Buffer.from('d\xfcr', 'latin1');
await writeFile(bytePath(Buffer.from('latin1-\xe4.txt', 'latin1')), 'latin1 file\n');
await mkdir(bytePath(latin1Dir));
await writeFile(bytePath(latin1Dir, Buffer.from([0xff, 0x2e, 0x69, 0x73, 0x6f])), 'ff iso\n');
await symlink('/nonexistent/target', join(root, 'dangling'));
execFileSync('mkfifo', [join(root, 'pipe.iso')]);
const unixServer = createServer();
unixServer.listen(join(root, 'socket.bin'));
await once(unixServer, 'listening');
after(() => unixServer.close());

const serve = (...extra: string[]): Promise<EbbServer> =>
  startEbb(['--listen', '127.0.0.1:0', '--access-log', 'off', ...extra, root]);
const strict = await serve();
const following = await serve('--follow-symlinks');
const dotty = await serve('--dotfiles', 'allow');

function assertNoSecret(response: RawResponse | undefined, what: string): void {
  assert.ok(response !== undefined, `${what}: no response`);
  assert.ok(!response.body.toString('latin1').includes(secret), `${what}: the secret leaked`);
}

const traversals = [
  '/../secret.txt',
  '/../../../../../../etc/passwd',
  '/%2e%2e/secret.txt',
  '/%2E%2E/secret.txt',
  '/.%2e/secret.txt',
  '/%252e%252e/secret.txt',
  '/%252e%252e%252fsecret.txt',
  '/..%2fsecret.txt',
  '/..%2Fsecret.txt',
  '/sub/..%2f..%2fsecret.txt',
  '/%2e%2e%5csecret.txt',
  '/..%5csecret.txt',
  '/..\\secret.txt',
  '/sub\\..\\..\\secret.txt',
  '/sub/../../secret.txt',
  '/sub/deeper/../../../secret.txt',
  '/./../secret.txt',
  '/public.txt/../../secret.txt',
  '/..;/secret.txt',
  '/%c0%ae%c0%ae/secret.txt',
  '/%c0%af../secret.txt',
  '/%u002e%u002e/secret.txt',
  '/secret.txt%00',
  '/%00/../secret.txt',
  '/public.txt%00.html',
  '//../secret.txt',
  '/../root-evil/secret.txt',
  '/%2e%2e/root-evil/secret.txt',
  'http://evil/../../secret.txt',
  'http://evil/%2e%2e/secret.txt',
  'http://evil/../../etc/passwd',
  'https://evil:443/..%2f..%2fsecret.txt',
  '../secret.txt',
  '*',
  'secret.txt',
  `/${'a'.repeat(300)}`,
  `/${'%41'.repeat(300)}`,
  `/${'ab/'.repeat(1500)}secret.txt`,
  // bytes that are not UTF-8 never make a separator or a dot segment, nor hide one
  '/%ff/../../secret.txt',
  '/%ff%2f..%2f..%2fsecret.txt',
  '/%c0%ae%c0%ae%2fsecret.txt',
  '/%e0%80%ae%e0%80%ae/secret.txt',
  '/d%fcr/../../secret.txt',
  '/d%fcr/%ff%00/../secret.txt',
  '/latin1-%e4.txt/../../secret.txt',
  '/%ff%5c..%5csecret.txt',
];

for (const [name, server] of [
  ['default', strict],
  ['--follow-symlinks', following],
  ['--dotfiles allow', dotty],
] as const) {
  test(`${name}: traversal in every spelling → 400 or 404, never a byte from outside`, async () => {
    for (const target of traversals) {
      const { responses } = await exchange(
        server.port,
        `GET ${target} HTTP/1.1\r\nHost: t\r\n\r\n`,
      );
      const [response] = responses;
      assertNoSecret(response, target);
      assert.ok(
        response?.status === 400 || response?.status === 404,
        `${target} → ${response?.status}`,
      );
    }
    // HTTP/1.0 without Host, and the Host header itself, change nothing.
    const { responses } = await exchange(server.port, 'GET /../secret.txt HTTP/1.0\r\n\r\n');
    assert.equal(responses[0]?.status, 400);
    const hosted = await exchange(server.port, 'GET /secret.txt HTTP/1.1\r\nHost: ..\r\n\r\n');
    assert.equal(hosted.responses[0]?.status, 404);
  });
}

test('absolute-form targets serve their path under the root (a mirror answers to any name)', async () => {
  const { responses } = await exchange(
    strict.port,
    'GET http://mirror.example/public.txt HTTP/1.1\r\nHost: t\r\n\r\n',
  );
  assert.equal(responses[0]?.status, 200);
  assert.equal(responses[0]?.body.toString(), 'public\n');
  const dotted = await fetchRaw(strict.port, '/sub/./deeper/../deeper//file.txt');
  assert.equal(dotted.body.toString(), 'deep\n');
});

test('symlinks leaving the root → 404 by default (also the prefix-named sibling); links inside are served', async () => {
  for (const path of ['/link-out.txt', '/link-dir-out/secret.txt', '/link-prefix.txt']) {
    const response = await fetchRaw(strict.port, path);
    assert.equal(response.status, 404, path);
    assertNoSecret(response, path);
  }
  const dirLink = await fetchRaw(strict.port, '/link-dir-out/');
  assert.equal(dirLink.status, 404);
  const inside = await fetchRaw(strict.port, '/link-in.txt');
  assert.equal(inside.status, 200);
  assert.equal(inside.body.toString(), 'public\n');
  const listing = await fetchRaw(strict.port, '/');
  assert.equal(listing.status, 200);
  for (const hidden of [
    'link-out.txt',
    'link-dir-out',
    'link-prefix.txt',
    'pipe.iso',
    'socket.bin',
  ]) {
    assert.ok(!listing.body.toString().includes(hidden), `${hidden} is listed`);
  }
  assert.ok(listing.body.toString().includes('link-in.txt'));
});

test('--follow-symlinks serves what a link out of the root points at', async () => {
  const file = await fetchRaw(following.port, '/link-out.txt');
  assert.equal(file.status, 200);
  assert.equal(file.body.toString(), secret);
  const viaDir = await fetchRaw(following.port, '/link-dir-out/secret.txt');
  assert.equal(viaDir.status, 200);
});

test('broken, looping and dangling links → 404, and the server keeps going', async () => {
  for (const server of [strict, following]) {
    // ELOOP, ENOENT through a link, ENOTDIR: each a plain 404.
    for (const path of ['/loop', '/loop/x', '/dangling', '/public.txt/x', '/public.txt/']) {
      assert.equal((await fetchRaw(server.port, path)).status, 404, path);
    }
  }
});

test('dotfiles are hidden by default (also through an encoded dot or a link), served with --dotfiles allow', async () => {
  const denied = ['/.hidden', '/%2ehidden', '/.git/config', '/.git/', '/.git', '/visible-name'];
  for (const path of denied) {
    const response = await fetchRaw(strict.port, path);
    assert.equal(response.status, 404, path);
  }
  const listing = await fetchRaw(strict.port, '/');
  assert.ok(!listing.body.toString().includes('.hidden'));
  assert.ok(!listing.body.toString().includes('.git'));
  assert.equal((await fetchRaw(dotty.port, '/.hidden')).body.toString(), 'hidden\n');
  assert.equal((await fetchRaw(dotty.port, '/.git/config')).body.toString(), 'config\n');
  assert.equal((await fetchRaw(dotty.port, '/visible-name')).status, 200);
  assert.ok((await fetchRaw(dotty.port, '/')).body.toString().includes('.hidden'));
});

test('a FIFO and a socket in the root → 404 at once, never a hang', async () => {
  for (const server of [strict, following, dotty]) {
    for (const path of ['/pipe.iso', '/socket.bin']) {
      const startMs = Date.now();
      const response = await fetchRaw(server.port, path);
      assert.equal(response.status, 404, path);
      assert.ok(Date.now() - startMs < 2000, `${path} took ${Date.now() - startMs} ms`);
      const ranged = await fetchRaw(server.port, path, { Range: 'bytes=0-1' }, 'HEAD');
      assert.equal(ranged.status, 404);
    }
  }
  // Nothing was left waiting on the FIFO: the servers still answer.
  assert.equal((await fetchRaw(strict.port, '/public.txt')).status, 200);
});

test('a file named with the byte \\xE4 is listed and served, as nginx and lighttpd do', async () => {
  const file = await fetchRaw(strict.port, '/latin1-%E4.txt');
  assert.equal(file.status, 200);
  assert.equal(file.body.toString(), 'latin1 file\n');
  assert.equal((await fetchRaw(strict.port, '/latin1-%e4.txt')).status, 200);
  // The same name spelled as UTF-8 (ä = C3 A4) is another name.
  assert.equal((await fetchRaw(strict.port, '/latin1-%C3%A4.txt')).status, 404);
  const listing = (await fetchRaw(strict.port, '/')).body.toString();
  assert.ok(listing.includes('<a href="latin1-%E4.txt">latin1-\ufffd.txt</a>'), listing);
  assert.ok(listing.includes('<a href="d%FCr/">d\ufffdr/</a>'), listing);
  // A directory with such a name: redirect, listing, and the file in it.
  const redirect = await fetchRaw(strict.port, '/d%FCr');
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.get('location'), '/d%FCr/');
  const inner = (await fetchRaw(strict.port, '/d%FCr/')).body.toString();
  assert.ok(inner.includes('<a href="%FF.iso">\ufffd.iso</a>'), inner);
  const iso = await fetchRaw(following.port, '/d%fcr/%FF.iso');
  assert.equal(iso.body.toString(), 'ff iso\n');
  assert.equal(iso.headers.get('content-type'), 'application/x-iso9660-image');
});

test('no request crashed a server', () => {
  for (const server of [strict, following, dotty]) assert.equal(server.child.exitCode, null);
});
