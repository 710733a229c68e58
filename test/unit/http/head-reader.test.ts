import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeadReader, MAX_LEADING_EMPTY_LINES } from '../../../src/http/head-reader.js';
import { DEFAULT_HEAD_LIMITS } from '../../../src/http/parse-request.js';

const limits = DEFAULT_HEAD_LIMITS;
const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

/** Feeds `text` in chunks ending at `splits`, collecting every verdict that is not incomplete. */
function feed(text: string, splits: readonly number[]): string[] {
  const reader = new HeadReader();
  const data = bytes(text);
  const seen: string[] = [];
  let from = 0;
  for (const to of [...splits, data.length]) {
    reader.append(data.subarray(from, to), limits);
    from = to;
    for (;;) {
      const verdict = reader.next(limits);
      if (verdict.kind === 'incomplete') break;
      if (verdict.kind === 'invalid') {
        seen.push(`invalid ${verdict.status}`);
        return seen;
      }
      seen.push(`${verdict.request.method} ${verdict.request.target}`);
    }
  }
  return seen;
}

test('pipelined heads come out the same at every split point', () => {
  const text =
    '\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\n\r\n' +
    'GET /c HTTP/1.0\r\n\r\n';
  const expected = ['GET /a', 'HEAD /b', 'GET /c'];
  for (let split = 0; split <= text.length; split++) {
    assert.deepEqual(feed(text, [split]), expected, `split at ${split}`);
  }
  const everyByte = Array.from({ length: text.length }, (_, i) => i);
  assert.deepEqual(feed(text, everyByte), expected);
});

test('a few empty lines before a request are skipped, more are refused at once', () => {
  const ok = '\r\n'.repeat(MAX_LEADING_EMPTY_LINES) + 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';
  assert.deepEqual(feed(ok, [1, 3]), ['GET /']);
  // Refused as soon as the line past the bound ends, before any request line arrives.
  const flood = '\r\n'.repeat(MAX_LEADING_EMPTY_LINES + 1);
  assert.deepEqual(feed(flood, []), ['invalid 400']);
  // Counted per request: a keep-alive client may send a stray CRLF before each one.
  const perRequest = '\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n';
  assert.deepEqual(feed(perRequest, []), ['GET /a', 'GET /b']);
});

test('limits are enforced as the bytes arrive', () => {
  const cases: Array<[string, string, number]> = [
    ['a bare CR followed by anything but LF', 'GET / HTTP/1.1\rX', 400],
    ['a bare LF', 'GET / HTTP/1.1\nHost', 400],
    ['an unfinished request line over the limit', `GET /${'a'.repeat(8200)}`, 414],
    ['an unfinished head over the limit', `GET / HTTP/1.1\r\nX: ${'b'.repeat(16400)}`, 431],
    ['too many fields, before the head ends', `GET / HTTP/1.1\r\n${'A: b\r\n'.repeat(101)}`, 431],
  ];
  for (const [name, text, status] of cases) {
    assert.deepEqual(feed(text, [5]), [`invalid ${status}`], name);
  }
});

test('a CR at the end of a chunk waits for the next byte', () => {
  const reader = new HeadReader();
  reader.append(bytes('GET / HTTP/1.1\r'), limits);
  assert.equal(reader.next(limits).kind, 'incomplete');
  reader.append(bytes('\nHost: x\r\n\r'), limits);
  assert.equal(reader.next(limits).kind, 'incomplete');
  reader.append(bytes('\n'), limits);
  assert.equal(reader.next(limits).kind, 'request');
  assert.equal(reader.bufferedBytes, 0);
});

test('reading a head byte by byte takes time linear in its size', () => {
  // 16 KiB fed one byte at a time: with a rescan per chunk this is ~130 M byte visits.
  const text = `GET / HTTP/1.1\r\nHost: x\r\n${`X-Pad: ${'p'.repeat(160)}\r\n`.repeat(90)}\r\n`;
  const data = bytes(text);
  assert.ok(data.length < limits.maxHeadBytes);
  const reader = new HeadReader();
  const startedMs = performance.now();
  for (let i = 0; i < data.length; i++) reader.append(data.subarray(i, i + 1), limits);
  const verdict = reader.next(limits);
  const elapsedMs = performance.now() - startedMs;
  assert.equal(verdict.kind, 'request');
  assert.ok(elapsedMs < 500, `${elapsedMs.toFixed(1)} ms`);
});
