/**
 * Requests to an ebb admin listener (TCP on loopback) from tests. A TCP admin listener wants its
 * token for POST; `adminPortOf` reads where ebb wrote it (`admin on 127.0.0.1:PORT (token in
 * FILE)`) and `adminFetch` sends it, as `ebb stop` does. Tests of the refusals send their own
 * heads with `adminFetch(..., { headers, token: null })`.
 */
import { request, type OutgoingHttpHeaders } from 'node:http';
import { readFileSync } from 'node:fs';
import { spawnEbb } from './ebb-process.js';

export interface AdminResponse {
  readonly status: number;
  readonly body: string;
  readonly contentType: string | undefined;
}

export interface AdminFetchOptions {
  /** Extra request headers (Host, Origin…). */
  readonly headers?: OutgoingHttpHeaders;
  /** The token to send; default: the one ebb wrote for this port, if any; null: none. */
  readonly token?: string | null;
}

const tokens = new Map<number, string>();

export function adminFetch(
  port: number,
  method: string,
  path: string,
  options: AdminFetchOptions = {},
): Promise<AdminResponse> {
  const token = options.token === undefined ? tokens.get(port) : options.token;
  const headers: OutgoingHttpHeaders = {
    ...(token === undefined || token === null ? {} : { Authorization: `Bearer ${token}` }),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
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

/** The admin port ebb printed (`admin on 127.0.0.1:PORT`); remembers its token for adminFetch. */
export function adminPortOf(lines: readonly string[]): number {
  for (const line of lines) {
    const match = /admin on 127\.0\.0\.1:(\d+)(?: \(token in (.+)\))?$/.exec(line);
    if (match?.[1] === undefined) continue;
    const port = Number(match[1]);
    if (match[2] !== undefined) tokens.set(port, readFileSync(match[2], 'utf8').trim());
    return port;
  }
  throw new Error('ebb printed no admin address');
}

/** The token file ebb printed for its TCP admin listener. */
export function adminTokenFileOf(lines: readonly string[]): string {
  for (const line of lines) {
    const match = /admin on \S+ \(token in (.+)\)$/.exec(line);
    if (match?.[1] !== undefined) return match[1];
  }
  throw new Error('ebb printed no admin token file');
}

/** `ebb COMMAND --admin 127.0.0.1:PORT --admin-token-file FILE` (reload, upgrade), to its exit. */
export async function runAdminCommand(
  command: string,
  adminPort: number,
  tokenFile: string,
): Promise<{ readonly code: number | null; readonly out: string }> {
  const cli = spawnEbb([
    command,
    '--admin',
    `127.0.0.1:${adminPort}`,
    '--admin-token-file',
    tokenFile,
  ]);
  const exit = await cli.exited;
  return { code: exit.code, out: cli.stdout.text() + cli.stderr.text() };
}
