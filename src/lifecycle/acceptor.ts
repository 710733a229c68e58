/**
 * Each accepted socket: into the registry, then an HTTP connection built from the current
 * connection parts, with the handler the drain's state calls for. A reload swaps the parts:
 * new connections are built from the new ones, and a keep-alive connection's next request goes
 * to the new handler (its handler asks the acceptor's current parts, one property read), while a
 * response in flight keeps the handler that began it.
 */
import type { Socket } from 'node:net';
import { HttpConnection, type ConnectionOptions } from '../http/connection.js';
import type { RequestHandler } from '../http/types.js';
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
): Acceptor {
  let current = initial;
  const handler: RequestHandler = (request) => current.handler(request);
  const newcomerHandler: RequestHandler = (request) =>
    (current.newcomerHandler ?? current.handler)(request);
  return {
    onSocket(socket) {
      const entry = registry.add(socket, current.sinks);
      const normal = admitsNormally(drain.state);
      const chosen = normal ? handler : newcomerHandler;
      entry.connection = new HttpConnection(socket, chosen, entry, current.options);
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
