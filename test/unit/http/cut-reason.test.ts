/**
 * Whoever cuts a connection says why, and nothing that follows from the cut can change it.
 * Node 22+ completes a destroyed socket's pending write with ECANCELED before 'close'; Node 20
 * reports 'close' first. The cut reason must come out the same under either order, so each case
 * runs with the running Node's own order and with both orders forced on the server socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Socket } from 'node:net';
import { HttpConnection, type ConnectionOptions } from '../../../src/http/connection.js';
import { DEFAULT_HEAD_LIMITS } from '../../../src/http/parse-request.js';
import type { Reply } from '../../../src/http/types.js';
import { openLoopbackPair } from '../../helpers/loopback-pair.js';
import { RecordingObserver } from './recording-observer.js';

const OPTIONS: ConnectionOptions = {
  headerTimeoutMs: 5000,
  keepaliveTimeoutMs: 5000,
  writeIdleTimeoutMs: 5000,
  lingerMs: 5000,
  limits: DEFAULT_HEAD_LIMITS,
};

/** More than any loopback send and receive buffers hold: the write stays pending. */
const BIG = Buffer.alloc(64 * 1024 * 1024, 0x61);

const bigReply = (): Promise<Reply> =>
  Promise.resolve({
    status: 200,
    headers: [['Content-Length', String(BIG.length)]],
    body: [{ kind: 'bytes', data: BIG }],
  });

type WriteCallback = (error?: Error | null) => void;
type CallbackOrder = 'native' | 'write-error-first' | 'close-first';

/**
 * Makes the server socket report a destroy in a chosen order, whatever Node runs the test:
 * `write-error-first` completes every pending write with ECANCELED inside destroy() (Node 22+),
 * `close-first` holds a failed write's callback until after 'close'.
 */
function forceCallbackOrder(socket: Socket, order: CallbackOrder): void {
  if (order === 'native') return;
  const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const pending = new Set<WriteCallback>();
  let closed = false;
  socket.once('close', () => (closed = true));
  const wrap = (callback: WriteCallback): WriteCallback => {
    let called = false;
    const once: WriteCallback = (error) => {
      if (called) return;
      called = true;
      pending.delete(once);
      if (order === 'close-first' && error && !closed) socket.once('close', () => callback(error));
      else callback(error);
    };
    pending.add(once);
    return once;
  };
  const patched = (chunk: unknown, ...rest: unknown[]): boolean =>
    write(
      chunk,
      ...rest.map((arg) => (typeof arg === 'function' ? wrap(arg as WriteCallback) : arg)),
    );
  socket.write = patched;
  if (order === 'write-error-first') {
    const destroy = socket.destroy.bind(socket);
    socket.destroy = (error?: Error): Socket => {
      const canceled = Object.assign(new Error('write ECANCELED'), { code: 'ECANCELED' });
      for (const callback of [...pending]) callback(canceled);
      return destroy(error);
    };
  }
}

const ORDERS: readonly CallbackOrder[] = ['native', 'write-error-first', 'close-first'];
const REASONS = ['deadline', 'stopped', 'timeout'] as const;

for (const order of ORDERS) {
  for (const reason of REASONS) {
    test(`a reply cut for "${reason}" ends "${reason}" (${order} callback order)`, async (t) => {
      const pair = await openLoopbackPair();
      t.after(() => pair.close());
      pair.client.pause(); // the client takes nothing: the body's write stays pending
      forceCallbackOrder(pair.server, order);
      const observer = new RecordingObserver();
      const connection = new HttpConnection(pair.server, bigReply, observer, OPTIONS);
      pair.client.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
      await observer.responseStarted;
      await nextTurn(); // the body's first write is now in flight
      connection.cut(reason);
      await observer.closed;
      assert.deepEqual(observer.written, [reason]);
    });
  }

  test(`a client that goes away mid-body ends "aborted" (${order} callback order)`, async (t) => {
    const pair = await openLoopbackPair();
    t.after(() => pair.close());
    pair.client.pause();
    forceCallbackOrder(pair.server, order);
    const observer = new RecordingObserver();
    new HttpConnection(pair.server, bigReply, observer, OPTIONS);
    pair.client.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    await observer.responseStarted;
    await nextTurn();
    pair.client.resetAndDestroy();
    await observer.closed;
    assert.deepEqual(observer.written, ['aborted']);
  });
}
