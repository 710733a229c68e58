/**
 * What a newcomer gets during a drain whose policy keeps listening (`--drain-new 503` or
 * `redirect=URL`): an answer instead of a refused connect, and the connection closed after it.
 */
import type { DrainNewPolicy } from './state.js';
import type { ParsedRequest, RequestHandler } from '../http/types.js';
import { textReply } from '../http/text-reply.js';

const RETRY_AFTER_SECONDS = '60';

/** The peer mirror's URL for this request: base URL + original path and query. */
export function redirectLocation(base: string, request: ParsedRequest): string {
  const target = request.target.startsWith('/') ? request.target : new URL(request.target).pathname;
  return base.replace(/\/+$/, '') + target;
}

export function drainNewHandler(policy: DrainNewPolicy): RequestHandler | null {
  switch (policy.kind) {
    case 'refuse':
      return null;
    case 'status503':
      return (_request) =>
        Promise.resolve(
          textReply(503, {
            text: '503 Service Unavailable: this server is shutting down\n',
            headers: [['Retry-After', RETRY_AFTER_SECONDS]],
            closeConnection: true,
          }),
        );
    case 'redirect':
      return (request) => {
        let location: string;
        try {
          location = redirectLocation(policy.url, request);
        } catch {
          return Promise.resolve(textReply(400, { closeConnection: true }));
        }
        return Promise.resolve(
          textReply(302, {
            text: `302 Found: ${location}\n`,
            headers: [['Location', location]],
            closeConnection: true,
          }),
        );
      };
  }
}
