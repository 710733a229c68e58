/**
 * The mirror-network headers from the real server: Link fields naming the peers (one field per
 * peer, the path percent-encoded), digests computed in the background and kept in the state
 * folder across a restart (Repr-Digest and Digest on 200, 206 and HEAD), and PATH.meta4.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { waitForLogLine } from '../helpers/raw-http.js';

after(stopAll);

interface Answer {
  readonly status: number;
  /** Every header field in order, repeated ones included; names lower-case. */
  readonly fields: Array<[string, string]>;
  readonly body: Buffer;
  all(name: string): string[];
  one(name: string): string | undefined;
}

function ask(port: number, path: string, method = 'GET', headers: Record<string, string> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const fields: Array<[string, string]> = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          fields.push([(res.rawHeaders[i] ?? '').toLowerCase(), res.rawHeaders[i + 1] ?? '']);
        }
        const all = (name: string) => fields.filter(([n]) => n === name).map(([, v]) => v);
        resolve({
          status: res.statusCode ?? 0,
          fields,
          body: Buffer.concat(chunks),
          all,
          one: (name) => all(name)[0],
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const root = await makeTempDir();
const state = await makeTempDir();
after(root.remove);
after(state.remove);
await mkdir(join(root.path, 'pool'));
const file = await writeRandomFile(join(root.path, 'pool'), 'a b&c.iso', 2_000_000);
const longAgo = new Date('2025-01-01T00:00:00Z');
await utimes(join(root.path, 'pool', file.name), longAgo, longAgo);
await writeFile(join(root.path, 'real.iso.meta4'), '<metalink>as shipped</metalink>\n');
await writeFile(join(root.path, '.secret'), 'dot\n');
const urlPath = '/pool/a%20b%26c.iso';
const base64 = Buffer.from(file.sha256, 'hex').toString('base64');
const peers = ['https://sfo.example.org/debian/', 'http://[::1]:8081'];
const peerArgs = peers.flatMap((peer) => ['--peer', peer]);
const stateArgs = ['--digests', 'on', '--state-dir', state.path];
const args = ['--listen', '127.0.0.1:0', '--access-log', 'off', ...peerArgs, root.path];

test('Link: one rel=duplicate field per peer in order, and the metalink, on 200, 206 and HEAD', async () => {
  const server = await startEbb(args);
  const expected = [
    `<https://sfo.example.org/debian${urlPath}>; rel=duplicate; pri=1`,
    `<http://[::1]:8081${urlPath}>; rel=duplicate; pri=2`,
    `<${urlPath}.meta4>; rel=describedby; type="application/metalink4+xml"`,
  ];
  for (const [method, headers] of [
    ['GET', {}],
    ['HEAD', {}],
    ['GET', { Range: 'bytes=0-99' }],
  ] as const) {
    const answer = await ask(server.port, urlPath, method, headers);
    assert.ok(answer.status === 200 || answer.status === 206, `${method} ${answer.status}`);
    assert.deepEqual(answer.all('link'), expected, `${method} ${JSON.stringify(headers)}`);
    assert.equal(answer.one('repr-digest'), undefined, 'no digest unless --digests on');
  }
  assert.deepEqual((await ask(server.port, '/pool/')).all('link'), [], 'not on a listing');
  assert.deepEqual((await ask(server.port, '/missing.iso')).all('link'), [], 'not on a 404');
});

test('digests: computed in the background, sent on 200, 206 and HEAD, kept across a restart', async () => {
  const first = await startEbb([...stateArgs, ...args]);
  const before = await ask(first.port, urlPath, 'HEAD');
  assert.equal(before.status, 200);
  assert.equal(
    before.one('repr-digest'),
    undefined,
    'unknown at first: never computed on the request',
  );
  await waitForLogLine(join(state.path, 'digests-v1.log'), new RegExp(` ${file.sha256}$`), 20_000);
  for (const [method, headers] of [
    ['HEAD', {}],
    ['GET', {}],
    ['GET', { Range: 'bytes=100-' }],
  ] as const) {
    const answer = await ask(first.port, urlPath, method, headers);
    assert.equal(answer.one('repr-digest'), `sha-256=:${base64}:`, `${method} ${answer.status}`);
    assert.equal(answer.one('digest'), `SHA-256=${base64}`);
  }
  first.child.kill('SIGINT');
  await first.exited;

  const second = await startEbb([...stateArgs, ...args]);
  const answer = await ask(second.port, urlPath, 'HEAD');
  assert.equal(answer.one('repr-digest'), `sha-256=:${base64}:`, 'read back from the state folder');
});

test('PATH.meta4: this mirror, the peers, size and sha-256; real .meta4 files and policy kept', async () => {
  const server = await startEbb([...stateArgs, ...args]);
  const meta = await ask(server.port, `${urlPath}.meta4`);
  assert.equal(meta.status, 200);
  assert.equal(meta.one('content-type'), 'application/metalink4+xml');
  const xml = meta.body.toString('utf8');
  assert.match(xml, /<file name="a b&amp;c.iso">/);
  assert.match(xml, new RegExp(`<size>${file.size}</size>`));
  assert.match(xml, new RegExp(`<hash type="sha-256">${file.sha256}</hash>`));
  assert.match(
    xml,
    new RegExp(`<url priority="1">http://127.0.0.1:${server.port}${urlPath}</url>`),
  );
  assert.match(xml, new RegExp(`<url priority="2">https://sfo.example.org/debian${urlPath}</url>`));
  assert.match(xml, new RegExp(`<url priority="3">http://\\[::1\\]:8081${urlPath}</url>`));
  const head = await ask(server.port, `${urlPath}.meta4`, 'HEAD');
  assert.equal(head.one('content-length'), String(meta.body.length));

  const real = await ask(server.port, '/real.iso.meta4');
  assert.equal(
    real.body.toString(),
    '<metalink>as shipped</metalink>\n',
    'a shipped .meta4 is served as is',
  );
  for (const path of ['/pool.meta4', '/.secret.meta4', '/missing.iso.meta4', '/pool/.meta4']) {
    assert.equal((await ask(server.port, path)).status, 404, path);
  }
});

test('--metalink off: PATH.meta4 is a plain 404 and no describedby link is sent', async () => {
  const server = await startEbb(['--metalink', 'off', ...args]);
  assert.equal((await ask(server.port, `${urlPath}.meta4`)).status, 404);
  const links = (await ask(server.port, urlPath, 'HEAD')).all('link');
  assert.equal(links.length, 2);
  assert.ok(links.every((link) => link.includes('rel=duplicate')));
});
