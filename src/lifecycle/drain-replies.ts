/**
 * What a newcomer gets during a drain whose policy keeps listening (`--drain-new 503` or
 * `redirect=URL`): an answer instead of a refused connect, and the connection closed after it.
 */
import type { DrainNewPolicy } from './state.js';
import type { ParsedRequest, Reply, RequestHandler } from '../http/types.js';

const RETRY_AFTER_SECONDS = '60';

function textReply(status: number, text: string, headers: Array<[string, string]>): Reply {
  const data = Buffer.from(text, 'utf8');
  return {
    status,
    headers: [
      ...headers,
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Length', String(data.length)],
    ],
    body: [{ kind: 'bytes', data }],
    closeConnection: true,
  };
}

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
          textReply(503, '503 Service Unavailable: this server is shutting down\n', [
            ['Retry-After', RETRY_AFTER_SECONDS],
          ]),
        );
    case 'redirect':
      return (request) => {
        let location: string;
        try {
          location = redirectLocation(policy.url, request);
        } catch {
          return Promise.resolve(textReply(400, '400 Bad Request\n', []));
        }
        return Promise.resolve(
          textReply(302, `302 Found: ${location}\n`, [['Location', location]]),
        );
      };
  }
}
