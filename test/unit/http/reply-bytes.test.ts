import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  JOINED_MAX_BYTES,
  JOINED_PERSISTENT_MAX_BYTES,
  rememberedReplyBytes,
} from '../../../src/http/reply-bytes.js';
import type { Reply } from '../../../src/http/types.js';
import { rememberFields } from '../../../src/http/write-head.js';

const SECOND_MS = Date.UTC(2026, 11, 1, 19, 30, 5);

function cachedReply(body: Buffer, remember = true): Reply {
  const headers = [['Content-Length', String(body.length)]] as const;
  if (remember) rememberFields(headers);
  return { status: 200, headers, body: [{ kind: 'bytes', data: body }] };
}

test('a remembered reply is written as made: head and body, per token, with or without body', () => {
  const body = Buffer.from('hello');
  const reply = cachedReply(body);
  const date = 'Date: Tue, 01 Dec 2026 19:30:05 GMT\r\n';
  const cases = [
    ['none', true, `HTTP/1.1 200 OK\r\n${date}Content-Length: 5\r\n\r\nhello`],
    [
      'keep-alive',
      true,
      `HTTP/1.1 200 OK\r\n${date}Content-Length: 5\r\nConnection: keep-alive\r\n\r\nhello`,
    ],
    ['close', false, `HTTP/1.1 200 OK\r\n${date}Content-Length: 5\r\nConnection: close\r\n\r\n`],
  ] as const;
  for (const [token, withBody, expected] of cases) {
    const made = rememberedReplyBytes(reply, token, withBody, SECOND_MS);
    assert.ok(made !== null);
    assert.equal(made.first.toString('latin1'), expected, token);
    assert.equal(made.rest, null);
    assert.equal(made.bodyBytes, withBody ? 5 : 0);
    assert.equal(made.headBytes, expected.length - made.bodyBytes);
  }
});

test('the bytes are made once a second: the same within it, a new Date after', () => {
  const reply = cachedReply(Buffer.from('x'));
  const first = rememberedReplyBytes(reply, 'none', true, SECOND_MS);
  assert.equal(rememberedReplyBytes(reply, 'none', true, SECOND_MS + 999), first);
  const next = rememberedReplyBytes(reply, 'none', true, SECOND_MS + 1000);
  assert.notEqual(next, first);
  assert.match(next?.first.toString('latin1') ?? '', /Date: Tue, 01 Dec 2026 19:30:06 GMT/);
});

test('a large body is written after its head, not copied behind it', () => {
  const body = Buffer.alloc(JOINED_PERSISTENT_MAX_BYTES + 1, 7);
  const made = rememberedReplyBytes(cachedReply(body), 'none', true, SECOND_MS);
  assert.equal(made?.rest, body);
  assert.match(made?.first.toString('latin1') ?? '', /\r\n\r\n$/);
});

test("a persistent connection gets a body up to the cache's largest joined, the others 16 KiB", () => {
  const body = Buffer.alloc(JOINED_PERSISTENT_MAX_BYTES, 7);
  const reply = cachedReply(body);
  const persistent = rememberedReplyBytes(reply, 'none', true, SECOND_MS);
  assert.equal(persistent?.rest, null);
  assert.equal(persistent?.first.length, (persistent?.headBytes ?? 0) + body.length);
  assert.ok(persistent?.first.subarray(persistent.headBytes).equals(body));
  for (const token of ['keep-alive', 'close'] as const) {
    const made = rememberedReplyBytes(reply, token, true, SECOND_MS);
    assert.equal(made?.rest, body, token);
  }
  const small = cachedReply(Buffer.alloc(JOINED_MAX_BYTES, 1));
  assert.equal(rememberedReplyBytes(small, 'close', true, SECOND_MS)?.rest, null);
});

test('only a remembered reply with its body in memory', () => {
  const body = Buffer.from('x');
  assert.equal(rememberedReplyBytes(cachedReply(body, false), 'none', true), null);
  const withFd: Reply = { ...cachedReply(body), fd: 3 };
  assert.equal(rememberedReplyBytes(withFd, 'none', true), null);
  const headers = [['Content-Length', '2']] as const;
  rememberFields(headers);
  const twoSegments: Reply = {
    status: 200,
    headers,
    body: [
      { kind: 'bytes', data: body },
      { kind: 'bytes', data: body },
    ],
  };
  assert.equal(rememberedReplyBytes(twoSegments, 'none', true), null);
  assert.ok(rememberedReplyBytes(twoSegments, 'none', false) !== null, 'HEAD: no body to hold');
});
