/**
 * A socket's unacknowledged bytes now, for the moment it is cut: read synchronously, since the
 * socket is destroyed right after and its /proc row with it. A drain deadline cuts every
 * connection in one turn of the event loop, so one read of the table serves every cut of a turn.
 */
import { readQueuesNow } from './kernel-queues-now.js';

let thisTurn: Map<string, number> | null = null;

/** tx_queue of the socket keyed `key` (tcp-queue.ts), or undefined when the kernel cannot say. */
export function sendQueueNow(key: string): number | undefined {
  if (key === '') return undefined;
  if (thisTurn === null) {
    thisTurn = readQueuesNow('tx');
    setImmediate(() => (thisTurn = null));
  }
  return thisTurn.get(key);
}
