/**
 * Each accepted socket: admitted within the connection caps (or answered 503 and closed), into
 * the registry, then an HTTP connection built from the current connection parts, with the
 * handler the drain's state calls for and its pacer of the rate limits. A reload swaps the
 * parts: new connections are built from the new ones, and a keep-alive connection's next request
 * goes to the new handler (its handler asks the acceptor's current parts, one property read),
 * while a response in flight keeps the handler that began it.
 */
import type { Socket } from 'node:net';
import { HttpConnection, type ConnectionOptions } from '../http/connection.js';
import type { RequestHandler } from '../http/types.js';
import type { ConnectionCaps, ConnectionLimits } from '../limits/connection-caps.js';
import type { RateLimits } from '../limits/rate-limits.js';
import {
  MAX_ANSWERING_REFUSALS,
  REFUSAL_HEADER_TIMEOUT_MS,
  refusalHandler,
} from '../limits/refusal.js';
import type { Drain } from './drain.js';
import type { Registry } from './registry.js';
import type { ResponseSink } from './response-record.js';
import { admitsNormally } from './state.js';

/** What new connections are built with, from one config (in-flight ones keep theirs). */
export interface ConnectionParts {
  readonly handler: RequestHandler;
  /** For arrivals during a drain whose policy keeps listening (503/redirect); null: refuse. */
  readonly newcomerHandler: RequestHandler | null;
  /** Per connection (timeouts): a reload applies them to connections accepted after it. */
  readonly options: ConnectionOptions;
  /** Where each response's record goes, in this order. */
  readonly sinks: readonly ResponseSink[];
  /** The connection caps in force (a reload may change them). */
  readonly limits: ConnectionLimits;
}

export interface Acceptor {
  readonly onSocket: (socket: Socket) => void;
  readonly parts: ConnectionParts;
  /** From now on, new connections and the next request of open ones use `parts`. */
  use(parts: ConnectionParts): void;
}

export function createAcceptor(
  registry: Registry,
  drain: Drain,
  initial: ConnectionParts,
  limits: { readonly caps: ConnectionCaps; readonly rates: RateLimits },
): Acceptor {
  const { caps, rates } = limits;
  let current = initial;
  const handler: RequestHandler = (request) => current.handler(request);
  const newcomerHandler: RequestHandler = (request) =>
    (current.newcomerHandler ?? current.handler)(request);
  let answeringRefusals = 0;
  const refuse = (socket: Socket, over: 'total' | 'per-ip'): void => {
    if (answeringRefusals >= MAX_ANSWERING_REFUSALS) {
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    answeringRefusals++;
    socket.once('close', () => answeringRefusals--);
    const entry = registry.add(socket, current.sinks);
    const headerTimeoutMs = Math.min(current.options.headerTimeoutMs, REFUSAL_HEADER_TIMEOUT_MS);
    const options = { ...current.options, headerTimeoutMs };
    entry.connection = new HttpConnection(socket, refusalHandler(over), entry, options);
    entry.connection.requestClose();
  };
  return {
    onSocket(socket) {
      const admission = caps.admit(socket.remoteAddress ?? '', current.limits);
      if (admission.kind === 'refuse') {
        refuse(socket, admission.over);
        return;
      }
      socket.once('close', () => caps.release(admission.group));
      const entry = registry.add(socket, current.sinks);
      const normal = admitsNormally(drain.state);
      const chosen = normal ? handler : newcomerHandler;
      const pacer = rates.pacerFor();
      // A request sent on it after a drain began gets the policy's answer (503/redirect).
      const late = current.newcomerHandler;
      entry.connection = new HttpConnection(socket, chosen, entry, current.options, pacer, late);
      // Arrived during a drain: one answer (the file, or the 503/redirect), then closed.
      if (!normal) entry.connection.requestClose();
    },
    get parts() {
      return current;
    },
    use(parts) {
      current = parts;
    },
  };
}
