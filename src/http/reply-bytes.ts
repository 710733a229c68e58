/**
 * The wire bytes of a reply sent many times over (a cached file's plain reply, whose header
 * lines were remembered): its head, and a small body joined behind it, are made once for the
 * second the Date field names and each Connection token, then written as they are by every
 * request in that second. No string is built, flattened or copied per request.
 */
import type { BodySegment, Reply } from './types.js';
import { hasRememberedFields, serializeHead, type ConnectionToken } from './write-head.js';

/** A body up to this size leaves in the same buffer as its head (one plain write). */
export const JOINED_MAX_BYTES = 16 * 1024;
/**
 * On a persistent HTTP/1.1 connection (no Connection field: nearly every request a mirror
 * answers) a body up to this size (the file cache's largest) is joined too. One buffer is one
 * plain write where head and body are a corked pair, a `writev` through Node's stream: at
 * 100 KiB, 6 % more requests a second with the log on. The copy is made once a second, for a
 * reply the file cache holds: at most one more copy of what the cache holds.
 */
export const JOINED_PERSISTENT_MAX_BYTES = 256 * 1024;

/** What is written: `first` (the head, with a small body joined), then `rest` (a larger body). */
export interface ReplyBytes {
  readonly first: Buffer;
  readonly rest: Buffer | null;
  readonly headBytes: number;
  readonly bodyBytes: number;
}

const TOKENS: readonly ConnectionToken[] = ['none', 'keep-alive', 'close'];

interface Made {
  readonly second: number;
  /** By token and whether the body is sent: TOKENS' index * 2 + (body ? 1 : 0). */
  readonly bytes: Array<ReplyBytes | undefined>;
}

const made = new WeakMap<Reply, Made>();

/** The body when it is one buffer held in memory; null otherwise. */
function memoryBody(body: ReadonlyArray<BodySegment>): Buffer | null {
  const only = body[0];
  return body.length === 1 && only?.kind === 'bytes' ? only.data : null;
}

/**
 * The bytes of `reply` (sent with its body when `withBody`), or null when it is not one whose
 * fields were remembered, or its body is not one buffer in memory.
 */
export function rememberedReplyBytes(
  reply: Reply,
  token: ConnectionToken,
  withBody: boolean,
  nowMs: number = Date.now(),
): ReplyBytes | null {
  if (!hasRememberedFields(reply.headers) || reply.fd !== undefined) return null;
  const body = withBody ? memoryBody(reply.body) : EMPTY;
  if (body === null) return null;
  const second = Math.floor(nowMs / 1000);
  let entry = made.get(reply);
  if (entry === undefined || entry.second !== second) {
    entry = { second, bytes: [] };
    made.set(reply, entry);
  }
  const slot = TOKENS.indexOf(token) * 2 + (withBody ? 1 : 0);
  return (entry.bytes[slot] ??= makeBytes(reply, token, body, nowMs));
}

const EMPTY = Buffer.alloc(0);

function makeBytes(reply: Reply, token: ConnectionToken, body: Buffer, nowMs: number): ReplyBytes {
  const head = Buffer.from(serializeHead(reply.status, reply.headers, token, nowMs), 'latin1');
  const joinedMax = token === 'none' ? JOINED_PERSISTENT_MAX_BYTES : JOINED_MAX_BYTES;
  const joined = body.length <= joinedMax;
  return {
    first: joined ? Buffer.concat([head, body]) : head,
    rest: joined ? null : body,
    headBytes: head.length,
    bodyBytes: body.length,
  };
}
