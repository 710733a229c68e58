/** Requests to an ebb admin listener (TCP on loopback) from tests. */
import { request } from 'node:http';

export interface AdminResponse {
  readonly status: number;
  readonly body: string;
  readonly contentType: string | undefined;
}

export function adminFetch(port: number, method: string, path: string): Promise<AdminResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, contentType: res.headers['content-type'] }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The admin port ebb printed (`admin on 127.0.0.1:PORT`). */
export function adminPortOf(lines: readonly string[]): number {
  for (const line of lines) {
    const match = /admin on 127\.0\.0\.1:(\d+)/.exec(line);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  throw new Error('ebb printed no admin address');
}
