/**
 * The one builder of short text replies on the public wire (wire errors, the drain's 503 and
 * redirect): the reason phrase from node:http's STATUS_CODES, and `nosniff` so no browser takes
 * an error text for a script or a page.
 */
import { STATUS_CODES } from 'node:http';
import type { HeaderList, Reply } from './types.js';

export interface TextReplyOptions {
  /** The body; `STATUS REASON\n` when not given. */
  readonly text?: string;
  /** Fields sent before the content fields (Location, Retry-After, Allow). */
  readonly headers?: HeaderList;
  readonly closeConnection?: boolean;
}

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

export function textReply(status: number, options: TextReplyOptions = {}): Reply {
  const data = Buffer.from(options.text ?? `${status} ${reasonPhrase(status)}\n`, 'utf8');
  return {
    status,
    headers: [
      ...(options.headers ?? []),
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Length', String(data.length)],
      ['X-Content-Type-Options', 'nosniff'],
    ],
    body: [{ kind: 'bytes', data }],
    closeConnection: options.closeConnection ?? false,
  };
}
