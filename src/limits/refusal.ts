/**
 * The answer to a connection beyond a cap: `503` with `Retry-After`, then closed (nginx's
 * limit_conn answers 503 too). It is sent after the request head, so a client reads an answer
 * rather than a reset; the connection gets a short header timeout, and past
 * MAX_ANSWERING_REFUSALS at once a refused connection is closed without one, so a flood of them
 * cannot hold descriptors.
 */
import { textReply } from '../http/text-reply.js';
import type { RequestHandler } from '../http/types.js';

export const RETRY_AFTER_SECONDS = 10;
export const MAX_ANSWERING_REFUSALS = 256;
export const REFUSAL_HEADER_TIMEOUT_MS = 5000;

export function refusalHandler(over: 'total' | 'per-ip'): RequestHandler {
  const text =
    over === 'per-ip'
      ? '503 Service Unavailable: too many connections from your address\n'
      : '503 Service Unavailable: too many connections\n';
  const reply = textReply(503, {
    text,
    headers: [['Retry-After', String(RETRY_AFTER_SECONDS)]],
    closeConnection: true,
  });
  return () => Promise.resolve(reply);
}
