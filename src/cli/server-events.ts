/** Reads a Server-Sent Events stream (the admin listener's `GET /events`) as typed events. */
import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';

export interface ServerEvent {
  readonly event: string;
  readonly data: string;
}

/** Yields each event (`event:` name, joined `data:` lines) until the server ends the stream. */
export async function* readServerEvents(response: IncomingMessage): AsyncGenerator<ServerEvent> {
  let event = 'message';
  let data: string[] = [];
  for await (const line of createInterface({ input: response, crlfDelay: Infinity })) {
    if (line === '') {
      if (data.length > 0) yield { event, data: data.join('\n') };
      event = 'message';
      data = [];
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
}
