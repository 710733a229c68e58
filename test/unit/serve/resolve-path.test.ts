import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTarget } from '../../../src/serve/parse-target.js';
import type { ResolvedPath } from '../../../src/serve/resolve-path.js';
import { resolveTarget as resolveWhere } from '../../../src/serve/resolved-targets.js';

/** Target → path as the handler does it; 'bad-request' from either step. */
function resolveTarget(target: string, dotfiles: 'deny' | 'allow' = 'deny'): ResolvedPath {
  const where = resolveWhere(target, dotfiles);
  return where.kind === 'resolved' ? where.resolved : where;
}

const path = (segments: Array<string | Buffer>, trailingSlash = false): ResolvedPath => ({
  kind: 'path',
  segments: segments.map((segment) => Buffer.from(segment)),
  trailingSlash,
});
const bytes = (...values: number[]): Buffer => Buffer.from(values);
const BAD: ResolvedPath = { kind: 'bad-request' };
const MISSING: ResolvedPath = { kind: 'not-found' };

void describe('parseTarget', () => {
  const cases: Array<[string, ReturnType<typeof parseTarget>]> = [
    ['/', { kind: 'target', rawPath: '/', query: '' }],
    ['/a/b?x=1&y', { kind: 'target', rawPath: '/a/b', query: '?x=1&y' }],
    ['/a?b?c', { kind: 'target', rawPath: '/a', query: '?b?c' }],
    ['http://mirror.example/pub/x.iso', { kind: 'target', rawPath: '/pub/x.iso', query: '' }],
    ['HTTPS://other:8443/a?q', { kind: 'target', rawPath: '/a', query: '?q' }],
    ['http://host', { kind: 'target', rawPath: '/', query: '' }],
    ['http://host?q', { kind: 'target', rawPath: '/', query: '?q' }],
    ['*', { kind: 'bad-request' }],
    ['', { kind: 'bad-request' }],
    ['a/b', { kind: 'bad-request' }],
    ['ftp://host/a', { kind: 'bad-request' }],
    ['http:///a', { kind: 'bad-request' }],
    ['/a#frag', { kind: 'bad-request' }],
    ['/a b', { kind: 'bad-request' }],
    ['/caf\u00e9', { kind: 'bad-request' }],
    ['/a\tb', { kind: 'bad-request' }],
  ];
  for (const [target, expected] of cases) {
    void it(`${JSON.stringify(target)}`, () => assert.deepEqual(parseTarget(target), expected));
  }
});

void describe('resolvePath: target to segments', () => {
  const long = 'a'.repeat(255);
  const cases: Array<[string, ResolvedPath]> = [
    ['/', path([], true)],
    ['/pub/debian/x.iso', path(['pub', 'debian', 'x.iso'])],
    ['/pub/', path(['pub'], true)],
    ['//pub///x', path(['pub', 'x'])],
    ['/a/./b', path(['a', 'b'])],
    ['/a/b/..', path(['a'], true)],
    ['/a/.', path(['a'], true)],
    ['/a/b/../c', path(['a', 'c'])],
    ['/caf%C3%A9', path(['café'])],
    ['/a%20b', path(['a b'])],
    ['/a%2Fb', path(['a', 'b'])],
    // traversal variants
    ['/../etc/passwd', BAD],
    ['/..', BAD],
    ['/%2e%2e/', BAD],
    ['/%2E%2E/etc/passwd', BAD],
    ['/..%2f', BAD],
    ['/a/%2e%2e%2f..%2f', BAD],
    ['/a/b/../../../x', BAD],
    ['/%252e%252e/', path(['%2e%2e'], true)],
    ['/%252e%252e%252fetc', path(['%2e%2e%2fetc'])],
    ['/a\\..\\b', BAD],
    ['/a%5c..%5cb', BAD],
    ['/a%00b', BAD],
    ['/a%00', BAD],
    ['http://elsewhere.example/../etc/passwd', BAD],
    ['http://elsewhere.example/pub/x', path(['pub', 'x'])],
    // malformed escapes
    ['/%', BAD],
    ['/%zz', BAD],
    ['/a%2', BAD],
    ['/%%41', BAD],
    // names are bytes: not valid UTF-8 is still a name, never a dot segment or a separator
    ['/latin1-%E4.txt', path([Buffer.from('latin1-\xe4.txt', 'latin1')])],
    ['/%C3', path([bytes(0xc3)])],
    ['/%C0%AE%C0%AE/', path([bytes(0xc0, 0xae, 0xc0, 0xae)], true)],
    ['/%C0%AF', path([bytes(0xc0, 0xaf)])],
    ['/%E0%80%AE%E0%80%AE/x', path([bytes(0xe0, 0x80, 0xae, 0xe0, 0x80, 0xae), 'x'])],
    ['/%ED%A0%80', path([bytes(0xed, 0xa0, 0x80)])],
    ['/%FF', path([bytes(0xff)])],
    ['/%FF/../..', BAD],
    ['/%FF%00', BAD],
    ['/%FF%5C..', BAD],
    ['/%2E%FF', MISSING],
    // overlong: 404 without touching the filesystem
    [`/${long}`, path([long])],
    [`/${long}a`, MISSING],
    [`/${'%C3%A9'.repeat(128)}`, MISSING],
    [
      `/${Array.from({ length: 16 }, () => long).join('/')}`,
      path(Array.from({ length: 16 }, () => long)),
    ],
    [`/${Array.from({ length: 17 }, () => long).join('/')}`, MISSING],
    // dotfiles denied by default in this table
    ['/.git/config', MISSING],
    ['/pub/.htaccess', MISSING],
    ['/pub/.', path(['pub'], true)],
    ['/.well-known/x', MISSING],
    ['/%2egit/config', MISSING],
    ['/.git/../pub', path(['pub'])],
  ];
  for (const [target, expected] of cases) {
    void it(`${target.length > 60 ? `${target.slice(0, 60)}… (${target.length})` : target}`, () =>
      assert.deepEqual(resolveTarget(target), expected));
  }

  void it('allows dot names when dotfiles are allowed', () => {
    assert.deepEqual(resolveTarget('/.well-known/x', 'allow'), path(['.well-known', 'x']));
  });
});
