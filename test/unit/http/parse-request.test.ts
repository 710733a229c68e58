import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead } from '../../../src/http/parse-request.js';

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
