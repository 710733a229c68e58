/**
 * Each accepted socket: admitted within the connection caps (or answered 503 and closed), into
 * the registry, then an HTTP connection built from the current connection parts, with the
 * handler the drain's state calls for and its pacer of the rate limits.
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
  readonly options: ConnectionOptions;
  /** Where each response's record goes, in this order. */
  readonly sinks: readonly ResponseSink[];
  readonly limits: ConnectionLimits;
}

export function acceptor(
  registry: Registry,
  drain: Drain,
  parts: ConnectionParts,
  limits: { readonly caps: ConnectionCaps; readonly rates: RateLimits },
): (socket: Socket) => void {
  const { caps, rates } = limits;
  let answeringRefusals = 0;
  const refuse = (socket: Socket, over: 'total' | 'per-ip'): void => {
    if (answeringRefusals >= MAX_ANSWERING_REFUSALS) {
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    answeringRefusals++;
    socket.once('close', () => answeringRefusals--);
    const entry = registry.add(socket, parts.sinks);
    const headerTimeoutMs = Math.min(parts.options.headerTimeoutMs, REFUSAL_HEADER_TIMEOUT_MS);
    const options = { ...parts.options, headerTimeoutMs };
    entry.connection = new HttpConnection(socket, refusalHandler(over), entry, options);
    entry.connection.requestClose();
  };
  return (socket) => {
    const admission = caps.admit(socket.remoteAddress ?? '', parts.limits);
    if (admission.kind === 'refuse') {
      refuse(socket, admission.over);
      return;
    }
    socket.once('close', () => caps.release(admission.group));
    const entry = registry.add(socket, parts.sinks);
    const normal = admitsNormally(drain.state);
    const handler = normal ? parts.handler : (parts.newcomerHandler ?? parts.handler);
    const pacer = rates.pacerFor();
    entry.connection = new HttpConnection(socket, handler, entry, parts.options, pacer);
    // Arrived during a drain: one answer (the file, or the 503/redirect), then closed.
    if (!normal) entry.connection.requestClose();
  };
}
