/**
 * Closing a listener without resetting the clients the kernel has already let in. A connection
 * whose handshake completed waits in the listening socket's accept queue; its client has seen
 * connect() succeed and may have sent its request. Closing the listener resets every one of
 * them. So a listener is closed only at a moment its queue was just read empty:
 *
 * - its queue length is read (the rx_queue of its /proc/net/tcp row), synchronously (the
 *   listening rows come first: the read costs them alone);
 * - while it holds connections the listener stays open, and libuv accepts them in the order
 *   they arrived (one per event-loop turn: libuv >= 1.45 accepts once each time the socket
 *   polls readable);
 * - once that many are accepted, the queue is read again inside the last accept's callback,
 *   before libuv can accept another, and the listener is closed there if it is empty.
 *
 * What connects after that is refused. A flood that outpaces the accepting is bounded by
 * ACCEPT_QUEUE_BOUND_MS, after which the listener closes whatever is queued.
 */
import type { Server } from 'node:net';
import { listenTcpKey, readListenQueuesNow } from '../progress/kernel-queues-now.js';

/**
 * How long a closing listener may keep accepting. Taking a full backlog (511) one per loop turn
 * takes ~0.1-0.3 ms each on an idle machine; past this, a flood is not "queued before the drain".
 */
export const ACCEPT_QUEUE_BOUND_MS = 1000;

/** Connections completed and not yet accepted on `server`; null when the kernel cannot say. */
export type AcceptQueueReader = (server: Server) => number | null;

export const readAcceptQueue: AcceptQueueReader = (server) => {
  const bound = server.address();
  if (bound === null || typeof bound === 'string') return null;
  const key = listenTcpKey(bound.address, bound.port);
  if (key === '') return null;
  return readListenQueuesNow(bound.family === 'IPv6' ? 'IPv6' : 'IPv4').get(key) ?? null;
};

/**
 * Calls `close(server)` once what the kernel queued on it is accepted, synchronously at that
 * moment (at once when nothing is queued); resolves after.
 */
export function closeAfterAcceptQueue(
  server: Server,
  close: (server: Server) => void,
  readQueue: AcceptQueueReader = readAcceptQueue,
  boundMs = ACCEPT_QUEUE_BOUND_MS,
): Promise<void> {
  let left = server.listening ? (readQueue(server) ?? 0) : 0;
  if (left === 0) {
    close(server);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(bound);
      server.off('connection', onConnection);
      close(server);
      resolve();
    };
    // Added after the server's own connection listener: the socket is served before this runs.
    const onConnection = (): void => {
      left--;
      if (left > 0) return;
      left = readQueue(server) ?? 0;
      if (left === 0) finish();
    };
    const bound = setTimeout(finish, boundMs);
    server.on('connection', onConnection);
  });
}
