/** Talks to a running server's admin listener (Unix socket or TCP) for the CLI. */
import { request, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { EbbError } from '../errors.js';
import type { AdminAddress } from '../config/address.js';

function requestOptions(address: AdminAddress, method: string, path: string) {
  return address.kind === 'unix'
    ? { socketPath: address.path, method, path }
    : { host: address.host, port: address.port, method, path };
}

export function describeAdmin(address: AdminAddress): string {
  return address.kind === 'unix' ? `unix:${address.path}` : `${address.host}:${address.port}`;
}

/** Sends one request; resolves with the response, or NOT_RUNNING if nothing listens there. */
export function adminRequest(
  address: AdminAddress,
  method: string,
  path: string,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(requestOptions(address, method, path), resolve);
    req.on('error', (error: NodeJS.ErrnoException) => {
      const absent = ['ECONNREFUSED', 'ENOENT', 'ECONNRESET'].includes(error.code ?? '');
      reject(
        new EbbError(
          absent ? 'NOT_RUNNING' : 'ADMIN_FAILED',
          `no ebb answers on ${describeAdmin(address)} (${error.code ?? error.message})`,
          { cause: error },
        ),
      );
    });
    req.end();
  });
}

export async function readBody(response: IncomingMessage): Promise<string> {
  let text = '';
  response.setEncoding('utf8');
  for await (const chunk of response) text += chunk as string;
  return text;
}

export async function adminJson<T>(
  address: AdminAddress,
  method: string,
  path: string,
): Promise<T> {
  const response = await adminRequest(address, method, path);
  const body = await readBody(response);
  if ((response.statusCode ?? 500) >= 400) {
    throw new EbbError(
      'ADMIN_FAILED',
      `${method} ${path} failed: ${response.statusCode} ${body.trim()}`,
    );
  }
  return JSON.parse(body) as T;
}

/** Yields each JSON line of a streamed (NDJSON) response until the server ends it. */
export async function* readJsonLines(response: IncomingMessage): AsyncGenerator<unknown> {
  const lines = createInterface({ input: response });
  for await (const line of lines) {
    if (line.trim() !== '') yield JSON.parse(line) as unknown;
  }
}
