import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readRequestHead } from '../../../src/http/head-reader.js';
import { DEFAULT_HEAD_LIMITS } from '../../../src/http/parse-request.js';

const parseRequestHead = (buffer: Buffer) => readRequestHead(buffer, DEFAULT_HEAD_LIMITS);

const head = (text: string): Buffer => Buffer.from(text, 'latin1');

test('parses a simple GET and reports the head length', () => {
  const text = 'GET /a.iso HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\nGET /next';
  const result = parseRequestHead(head(text));
  assert.equal(result.kind, 'request');
  if (result.kind !== 'request') return;
  assert.equal(result.request.method, 'GET');
  assert.equal(result.request.target, '/a.iso');
  assert.equal(result.request.minorVersion, 1);
  assert.deepEqual(result.request.headers, [
    ['host', 'x'],
    ['range', 'bytes=0-9'],
  ]);
  assert.equal(result.headBytes, text.indexOf('GET /next'));
  assert.equal(result.wantsClose, false);
  assert.equal(result.hasContent, false);
});

test('waits for more bytes until the empty line arrives', () => {
  assert.deepEqual(parseRequestHead(head('GET / HTTP/1.1\r\nHost: x\r\n')), { kind: 'incomplete' });
});

test('skips empty lines before the request line', () => {
  const result = parseRequestHead(head('\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.equal(result.kind, 'request');
});

const refusals: Array<[string, string, number]> = [
  [
    'both Content-Length and Transfer-Encoding',
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
    400,
  ],
  [
    'Transfer-Encoding alone',
    'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
    400,
  ],
  [
    'obfuscated Transfer-Encoding',
    'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n',
    400,
  ],
  [
    'conflicting Content-Length',
    'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
    400,
  ],
  ['non-numeric Content-Length', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5a\r\n\r\n', 400],
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n', 400],
  ['bare LF', 'GET / HTTP/1.1\nHost: x\r\n\r\n', 400],
  ['bare CR in a value', 'GET / HTTP/1.1\r\nHost: x\rEvil: 1\r\n\r\n', 400],
  ['missing Host in HTTP/1.1', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 400],
  ['repeated Host', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
  ['space in the target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ['lower-case version', 'GET / http/1.1\r\nHost: x\r\n\r\n', 400],
  ['HTTP/2.0 request line', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
  ['NUL in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n', 400],
  ['empty header name', 'GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n', 400],
  ['bare CR line ends, before any LF arrives', 'GET /a HTTP/1.1\rHost: d\r\r', 400],
  ['a bare CR in the request line', 'GET /a\r HTTP/1.1\r\nHost: d\r\n\r\n', 400],
  ['more than 4 empty lines before the request line', '\r\n'.repeat(5) + 'GET', 400],
  ['a flood of empty lines', '\r\n'.repeat(32768), 400],
  ['Host with a non-numeric port', 'GET / HTTP/1.1\r\nHost: jsdh.sfdg.sdfg:asd\r\n\r\n', 400],
  ['Host with a path', 'GET / HTTP/1.1\r\nHost: [::1]/../../../\r\n\r\n', 400],
  ['Host with two ports', 'GET / HTTP/1.1\r\nHost: 123.40.56.78:9000:80\r\n\r\n', 400],
  ['Host with a space', 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n', 400],
  ['Host with userinfo', 'GET / HTTP/1.1\r\nHost: user@host\r\n\r\n', 400],
  ['Host with an unclosed IP-literal', 'GET / HTTP/1.1\r\nHost: [::1\r\n\r\n', 400],
  ['Host with a bad IPv6 literal', 'GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n', 400],
  ['Host with a zone id', 'GET / HTTP/1.1\r\nHost: [fe80::1%eth0]\r\n\r\n', 400],
  ['Host with a bad escape', 'GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n', 400],
  ['absolute-form with a bad port', 'GET http://a:b/x HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['absolute-form with userinfo', 'GET http://u:p@a/x HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['absolute-form with no host', 'GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n', 400],
];

for (const [name, text, status] of refusals) {
  test(`refuses ${name} with ${status}`, () => {
    const result = parseRequestHead(head(text));
    assert.equal(result.kind, 'invalid');
    if (result.kind === 'invalid') assert.equal(result.status, status);
  });
}

test('a request line over the limit is 414, even before it ends', () => {
  const result = parseRequestHead(head(`GET /${'a'.repeat(9000)}`));
  assert.deepEqual(result.kind === 'invalid' ? result.status : result.kind, 414);
});

test('a head over the limit is 431', () => {
  const text = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(17000)}\r\n\r\n`;
  const result = parseRequestHead(head(text));
  assert.deepEqual(result.kind === 'invalid' ? result.status : result.kind, 431);
  const partial = parseRequestHead(head(text.slice(0, 16500)));
  assert.deepEqual(partial.kind === 'invalid' ? partial.status : partial.kind, 431);
});

test('connection persistence follows the version and the Connection field', () => {
  const cases: Array<[string, boolean]> = [
    ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', false],
    ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', true],
    ['GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, Close\r\n\r\n', true],
    ['GET / HTTP/1.0\r\n\r\n', true],
    ['GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', false],
  ];
  for (const [text, wantsClose] of cases) {
    const result = parseRequestHead(head(text));
    assert.equal(result.kind === 'request' && result.wantsClose, wantsClose, text);
  }
});

test('a request with content is answered and then closed', () => {
  const result = parseRequestHead(
    head('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'),
  );
  assert.equal(result.kind === 'request' && result.hasContent, true);
});

test('well-formed authorities are accepted, in Host and in absolute form', () => {
  const hosts = [
    'example.org',
    'example.org:8080',
    'example.org:',
    '',
    '127.0.0.1',
    '127.0.0.1:80',
    '1.2.3.999',
    '[::1]',
    '[::1]:8080',
    '[2001:db8::7]:',
    '[v1.fe80::a+en1]',
    'xn--bcher-kva.example',
    'a%20b',
    "sub-delims!$&'()*+,;=",
  ];
  for (const host of hosts) {
    const result = parseRequestHead(head(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
    assert.equal(result.kind, 'request', `Host: ${host}`);
  }
  for (const target of ['http://a/x', 'https://[::1]:8443/x?y', 'http://a:/', 'http://a?q']) {
    const result = parseRequestHead(head(`GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`));
    assert.equal(result.kind, 'request', target);
  }
});
