/**
 * Directories against the real server: the slash redirect (query kept), the HTML listing
 * (names escaped, directories first, a parent link), `--index`, and `--listing off`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir } from '../helpers/fixtures.js';
import { fetchRaw } from '../helpers/raw-http.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
// `<b>x&y</b>.txt` cannot exist: a slash is no name character. This one has the same hazards.
const awkward = '<b>x&y<b>.txt';
const quoted = `"quote" 'single'.txt`;
await mkdir(join(root.path, 'pub', 'zeta-dir'), { recursive: true });
await mkdir(join(root.path, 'pub', 'alpha-dir'));
await mkdir(join(root.path, 'withindex'));
await mkdir(join(root.path, 'space dir'));
await writeFile(join(root.path, 'pub', awkward), 'awkward\n');
await writeFile(join(root.path, 'pub', quoted), 'quoted\n');
await writeFile(join(root.path, 'pub', 'aaa-file.txt'), '12345');
await writeFile(join(root.path, 'pub', 'zeta-dir', 'inner.txt'), 'inner\n');
await writeFile(join(root.path, 'withindex', 'index.html'), '<p>the index</p>\n');
await writeFile(join(root.path, 'withindex', 'other.txt'), 'other\n');

const args = ['--listen', '127.0.0.1:0', '--access-log', 'off'];
const listing = await startEbb([...args, root.path]);
const indexed = await startEbb([...args, '--index', 'index.html', root.path]);
const unlisted = await startEbb([...args, '--index', 'index.html', '--listing', 'off', root.path]);

test('a directory without its slash → 301 to the slash form, query kept', async () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['/pub', '/pub/'],
    ['/pub?x=1&y=%20z', '/pub/?x=1&y=%20z'],
    ['/pub/zeta-dir', '/pub/zeta-dir/'],
    ['/space%20dir', '/space%20dir/'],
    ['//pub', '/pub/'],
    ['http://other.example/pub?q', '/pub/?q'],
  ];
  for (const [target, location] of cases) {
    const response = await fetchRaw(listing.port, target);
    assert.equal(response.status, 301, target);
    assert.equal(response.headers.get('location'), location, target);
  }
  // Never a protocol-relative Location that would send the client to another host.
  const response = await fetchRaw(listing.port, '//evil.example/..//pub');
  assert.ok(!(response.headers.get('location') ?? '/').startsWith('//'));
});

test('a listing escapes names, lists directories first, links to the parent', async () => {
  const response = await fetchRaw(listing.port, '/pub/');
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
  const html = response.body.toString('utf8');
  assert.ok(!html.includes('<b>x&y'), 'an unescaped name in the listing');
  assert.ok(html.includes('&lt;b&gt;x&amp;y&lt;b&gt;.txt'), 'the escaped name');
  assert.ok(!html.includes(`"quote"`), 'an unescaped quote');
  assert.ok(html.includes('href="../"'), 'a parent link');
  // Code-unit order: '"' < '<' < 'a'.
  const order = ['alpha-dir/', 'zeta-dir/', '&quot;quote&quot;', 'x&amp;y', 'aaa-file.txt'];
  const positions = order.map((name) => html.indexOf(name));
  assert.ok(
    positions.every((p) => p >= 0),
    `missing entries: ${positions.join(',')}`,
  );
  assert.deepEqual(
    positions,
    [...positions].sort((a, b) => a - b),
    'directories first, by name',
  );
  assert.match(html, /aaa-file\.txt<\/a><\/td><td>5<\/td>/, 'the size');
  assert.match(html, /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/, 'the modification time');
});

test('every link of a listing leads to its entry', async () => {
  const html = (await fetchRaw(listing.port, '/pub/')).body.toString('utf8');
  const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) =>
    (m[1] ?? '').replaceAll('&amp;', '&').replaceAll('&#39;', "'").replaceAll('&quot;', '"'),
  );
  const file = hrefs.find((href) => href.includes('%3Cb%3E'));
  assert.ok(file !== undefined, `no link to ${awkward}: ${hrefs.join(' ')}`);
  const fetched = await fetchRaw(listing.port, `/pub/${file}`);
  assert.equal(fetched.status, 200);
  assert.equal(fetched.body.toString(), 'awkward\n');
  const quotedHref = hrefs.find((href) => href.includes('quote'));
  const quotedFile = await fetchRaw(listing.port, `/pub/${quotedHref ?? ''}`);
  assert.equal(quotedFile.body.toString(), 'quoted\n');
  const dir = await fetchRaw(listing.port, '/pub/zeta-dir/');
  assert.ok(dir.body.toString().includes('inner.txt'));
});

test('the root listing has no parent link; HEAD of a listing has no body', async () => {
  const html = (await fetchRaw(listing.port, '/')).body.toString('utf8');
  assert.ok(!html.includes('href="../"'));
  assert.ok(html.includes('pub/'));
  const head = await fetchRaw(listing.port, '/pub/', {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.ok(Number(head.headers.get('content-length')) > 0);
});

test('a file asked for with a trailing slash → 404', async () => {
  assert.equal((await fetchRaw(listing.port, '/pub/aaa-file.txt/')).status, 404);
});

test('--index index.html serves the index; a directory without one is still listed', async () => {
  const index = await fetchRaw(indexed.port, '/withindex/');
  assert.equal(index.status, 200);
  assert.equal(index.body.toString(), '<p>the index</p>\n');
  assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.ok(index.headers.get('etag'));
  const withoutIndex = await fetchRaw(indexed.port, '/pub/');
  assert.equal(withoutIndex.status, 200);
  assert.ok(withoutIndex.body.toString().includes('aaa-file.txt'));
  // Without --index, index.html is just a file and the directory is listed.
  const plain = await fetchRaw(listing.port, '/withindex/');
  assert.ok(plain.body.toString().includes('other.txt'));
});

test('--listing off → 403 for a directory without an index; the index is still served', async () => {
  const forbidden = await fetchRaw(unlisted.port, '/pub/');
  assert.equal(forbidden.status, 403);
  assert.ok(!forbidden.body.toString().includes('aaa-file.txt'));
  assert.equal((await fetchRaw(unlisted.port, '/')).status, 403);
  const index = await fetchRaw(unlisted.port, '/withindex/');
  assert.equal(index.body.toString(), '<p>the index</p>\n');
  assert.equal((await fetchRaw(unlisted.port, '/pub')).status, 301);
  assert.equal((await fetchRaw(unlisted.port, '/pub/aaa-file.txt')).status, 200);
});
