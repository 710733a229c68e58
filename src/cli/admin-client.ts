/**
 * Talks to a running server's admin listener (Unix socket or TCP) for the CLI. A Unix socket is
 * used only if it is owned by us or root (another user may squat the path); the token, when the
 * listener is TCP, goes in the Authorization header.
 */
import { request, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { EbbError } from '../errors.js';
import type { AdminAddress } from '../config/address.js';
import { checkOwner, untrustedError } from '../lifecycle/trusted-files.js';
import { printable } from './format.js';
import { parseServerJson } from './server-data.js';

/** Where the admin listener is, and the token a TCP one wants for POST requests. */
export interface AdminEndpoint {
  readonly address: AdminAddress;
  readonly token: string | null;
}

/** Bodies of refusals and errors are shown to the operator: at most this much. */
const MAX_ERROR_BODY_CHARS = 500;

function requestOptions(endpoint: AdminEndpoint, method: string, path: string) {
  const { address, token } = endpoint;
  const headers = token === null ? {} : { Authorization: `Bearer ${token}` };
  return address.kind === 'unix'
    ? { socketPath: address.path, method, path, headers }
    : { host: address.host, port: address.port, method, path, headers };
}

export function describeAdmin(address: AdminAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

async function refuseUntrustedSocket(address: AdminAddress): Promise<void> {
  if (address.kind !== 'unix') return;
  const trust = await checkOwner(address.path);
  if (trust.kind === 'untrusted')
    throw untrustedError('admin socket', address.path, trust.ownerUid);
}

function connectError(address: AdminAddress, error: NodeJS.ErrnoException): EbbError {
  const where = describeAdmin(address);
  const code = error.code ?? error.message;
  if (code === 'EACCES' || code === 'EPERM') {
    return new EbbError(
      'PERMISSION_DENIED',
      `permission denied: cannot connect to the admin listener ${where} (${code}); run as the server's user or root`,
      { cause: error },
    );
  }
  const absent = ['ECONNREFUSED', 'ENOENT', 'ECONNRESET'].includes(code);
  return new EbbError(
    absent ? 'NOT_RUNNING' : 'ADMIN_FAILED',
    `no ebb answers on ${where} (${code})`,
    {
      cause: error,
    },
  );
}

/**
 * Sends one request; resolves with the response (any status), or rejects: NOT_RUNNING if nothing
 * listens there, PERMISSION_DENIED if we may not connect, FILE_UNTRUSTED for a squatted socket.
 */
export async function adminRequest(
  endpoint: AdminEndpoint,
  method: string,
  path: string,
): Promise<IncomingMessage> {
  await refuseUntrustedSocket(endpoint.address);
  return new Promise((resolve, reject) => {
    const req = request(requestOptions(endpoint, method, path), resolve);
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(connectError(endpoint.address, error)),
    );
    req.end();
  });
}

export async function readBody(response: IncomingMessage): Promise<string> {
  let text = '';
  response.setEncoding('utf8');
  for await (const chunk of response) text += chunk as string;
  return text;
}

/** A refusal (401/403) or failure of the admin listener as the CLI reports it. */
export async function responseError(
  response: IncomingMessage,
  method: string,
  path: string,
): Promise<EbbError> {
  const status = response.statusCode ?? 500;
  const body = printable((await readBody(response)).trim().slice(0, MAX_ERROR_BODY_CHARS));
  if (status === 401 || status === 403) {
    return new EbbError(
      'PERMISSION_DENIED',
      `permission denied: ${method} ${path}: ${status} ${body} ` +
        '(a TCP admin listener wants its token: give --pid-file, or --admin-token-file FILE)',
    );
  }
  return new EbbError('ADMIN_FAILED', `${method} ${path} failed: ${status} ${body}`);
}

/** One JSON answer, its strings neutralised and its shape checked by `isExpected`. */
export async function adminJson<T>(
  endpoint: AdminEndpoint,
  method: string,
  path: string,
  isExpected: (value: unknown) => value is T,
): Promise<T> {
  const response = await adminRequest(endpoint, method, path);
  if ((response.statusCode ?? 500) >= 400) throw await responseError(response, method, path);
  const value = parseServerJson(await readBody(response));
  if (!isExpected(value)) {
    throw new EbbError('ADMIN_FAILED', `${method} ${path}: the answer is not what ebb sends`);
  }
  return value;
}

/** Yields each JSON line of a streamed (NDJSON) response until the server ends it. */
export async function* readJsonLines(response: IncomingMessage): AsyncGenerator<unknown> {
  const lines = createInterface({ input: response });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const value = parseServerJson(line);
    if (value === undefined) {
      throw new EbbError('ADMIN_FAILED', 'the admin listener sent a line that is not JSON');
    }
    yield value;
  }
}
