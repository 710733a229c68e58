/**
 * Each accepted socket: into the registry, then an HTTP connection built from the current
 * connection parts, with the handler the drain's state calls for.
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
  readonly options: ConnectionOptions;
  /** Where each response's record goes, in this order. */
  readonly sinks: readonly ResponseSink[];
}

export function acceptor(
  registry: Registry,
  drain: Drain,
  parts: ConnectionParts,
): (socket: Socket) => void {
  return (socket) => {
    const entry = registry.add(socket, parts.sinks);
    const normal = admitsNormally(drain.state);
    const handler = normal ? parts.handler : (parts.newcomerHandler ?? parts.handler);
    entry.connection = new HttpConnection(socket, handler, entry, parts.options);
    // Arrived during a drain: one answer (the file, or the 503/redirect), then closed.
    if (!normal) entry.connection.requestClose();
  };
}
