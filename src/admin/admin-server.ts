/**
 * The admin listener: a Unix socket (mode 0600) or a TCP port (loopback unless the operator
 * allows otherwise), never the public port. Every request passes `decideAdminRequest` first;
 * a TCP listener's token is written to a 0600 file for the CLI. Plain Node `http`: it carries a
 * few requests a second, not downloads.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Server as NetServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { chmod, mkdtemp, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { EbbError } from '../errors.js';
import type { AdminAddress } from '../config/address.js';
import { checkFolderIsSafe, writeFileAtomically } from '../lifecycle/trusted-files.js';
import { decideAdminRequest, type AdminPolicy } from './admin-guard.js';
import { sendText, type AdminRoute } from './routes.js';

export interface AdminServer {
  /** `unix:PATH` or `HOST:PORT` (IPv6 bracketed), as `parseAdminAddress` reads it back. */
  readonly address: string;
  /** Where a TCP listener's token is (0600); null for a Unix socket. */
  readonly tokenFile: string | null;
  /** The listening server, for an upgrade to hand to the new process. */
  readonly server: NetServer;
  /**
   * Stops accepting (a newer ebb accepts on the same socket now) and leaves the socket file to
   * it; requests already received are answered. `close()` later ends what is left.
   */
  release(): void;
  /** Stops listening and ends open admin connections (event streams included). */
  close(): Promise<void>;
}

export interface AdminOptions {
  /** Where to write a TCP listener's token; null: a private folder of its own in the temp dir. */
  readonly tokenFile: string | null;
}

function headOf(request: IncomingMessage) {
  const one = (value: string | string[] | undefined): string | undefined =>
    Array.isArray(value) ? value[0] : value;
  return {
    method: request.method ?? '',
    host: request.headers.host,
    origin: one(request.headers.origin),
    secFetchSite: one(request.headers['sec-fetch-site']),
    authorization: request.headers.authorization,
  };
}

/** Whether something answers on a Unix socket path (a live server, not a stale file). */
function isSocketLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Where the admin listener listens: as configured, a descriptor systemd handed over, or the
 * listening server an upgrading ebb handed over (issue 11; its socket file stays in place).
 */
export type AdminBinding =
  | AdminAddress
  | { readonly kind: 'fd'; readonly fd: number }
  | {
      readonly kind: 'inherited';
      readonly server: NetServer;
      /** Hands over the connections it accepted (held ones first) to `onSocket`. */
      readonly take: (onSocket: (socket: Socket) => void) => void;
      readonly address: AdminAddress;
    };

export async function startAdminServer(
  address: AdminBinding,
  routes: readonly AdminRoute[],
  options: AdminOptions,
): Promise<AdminServer> {
  // The token exists before the port does: no request is ever served without the check. A
  // descriptor from systemd may be TCP or a socket: it gets one too until we know which.
  let token = address.kind === 'unix' ? null : await writeToken(options.tokenFile);
  let policy: AdminPolicy = {
    boundHost: address.kind === 'tcp' ? address.host : null,
    token: token?.token ?? null,
  };
  const server = createServer((request, response) => {
    const verdict = decideAdminRequest(headOf(request), policy);
    if (verdict.kind === 'refused') {
      if (verdict.status === 401)
        response.setHeader('WWW-Authenticate', 'Bearer realm="ebb admin"');
      sendText(response, verdict.status, `${verdict.reason}\n`);
      return;
    }
    const url = new URL(request.url ?? '/', 'http://admin');
    // HEAD is GET without a body (Node's response drops it), as load-balancer probes expect.
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const route = routes.find((r) => r.path === url.pathname && r.method === method);
    if (route === undefined) {
      const known = routes.filter((r) => r.path === url.pathname);
      if (known.length > 0) response.setHeader('Allow', known.map((r) => r.method).join(', '));
      sendText(
        response,
        known.length > 0 ? 405 : 404,
        known.length > 0 ? 'method not allowed\n' : 'not found\n',
      );
      return;
    }
    Promise.resolve(route.handle(request, response, url)).catch((error: unknown) => {
      console.error('ebb: admin request failed:', error);
      if (!response.headersSent) sendText(response, 500, 'internal error\n');
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5000;

  let where: string;
  try {
    const bound = await bind(server, address);
    where = bound.where;
    const surplus = bound.tcpHost === null ? token : null;
    // A Unix socket from systemd: its permissions are the check, as for our own.
    if (surplus !== null) token = null;
    policy = { boundHost: bound.tcpHost, token: token?.token ?? null };
    if (surplus !== null) await removeToken(surplus);
  } catch (error) {
    if (token !== null) await removeToken(token);
    throw error;
  }

  let closing: Promise<void> | null = null;
  let released = false;
  const listening: NetServer = address.kind === 'inherited' ? address.server : server;
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopped ??= (() => {
      const closed = once(listening, 'close').then(() => undefined);
      listening.close();
      return closed;
    })());
  const socketPath =
    address.kind === 'unix'
      ? address.path
      : address.kind === 'inherited' && address.address.kind === 'unix'
        ? address.address.path
        : null;
  return {
    address: where,
    tokenFile: token?.path ?? null,
    server: listening,
    release() {
      released = true;
      void stop();
      server.closeIdleConnections();
    },
    close() {
      closing ??= (async () => {
        const closed = stop();
        // Let replies already ended (a drain watcher's last line) leave, then end the rest.
        const force = setTimeout(() => server.closeAllConnections(), 100);
        await closed;
        clearTimeout(force);
        if (socketPath !== null && !released) await unlink(socketPath).catch(() => undefined);
        if (token !== null) await removeToken(token);
      })();
      return closing;
    },
  };
}

function listen(server: Server, where: string, start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(
        new EbbError('ADMIN_FAILED', `cannot listen for admin on ${where}: ${error.message}`, {
          cause: error,
        }),
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      server.on('error', (error) => console.error(`ebb: admin listener error: ${error.message}`));
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    start();
  });
}

interface Bound {
  /** `unix:PATH` or `HOST:PORT` (IPv6 bracketed), as the CLI reads it back. */
  readonly where: string;
  /** The address a TCP listener is bound to; null for a Unix socket. */
  readonly tcpHost: string | null;
}

/** Binds the listener (or takes systemd's descriptor) and says what it turned out to be. */
async function bind(server: Server, address: AdminBinding): Promise<Bound> {
  if (address.kind === 'inherited') {
    // An upgrade (issue 11): the old ebb's socket, already listening (and 0600). Its connections
    // are fed to this server: a Unix socket cannot be listened on twice in one process (EEXIST).
    address.take((socket) => server.emit('connection', socket));
    if (address.address.kind === 'unix') {
      return { where: `unix:${address.address.path}`, tcpHost: null };
    }
    const bound = address.server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : address.address.port;
    const host = address.address.host;
    return { where: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`, tcpHost: host };
  }
  if (address.kind === 'unix') {
    await listenOnSocket(server, address.path);
    return { where: `unix:${address.path}`, tcpHost: null };
  }
  if (address.kind === 'fd') {
    // Socket activation (issue 10): systemd made the socket; its mode and path are the unit's.
    await listen(server, `fd ${address.fd} from systemd`, () => server.listen({ fd: address.fd }));
  } else {
    await listen(server, `${address.host}:${address.port}`, () =>
      server.listen({ host: address.host, port: address.port }),
    );
  }
  const bound = server.address();
  if (typeof bound === 'string') return { where: `unix:${bound}`, tcpHost: null };
  if (bound === null)
    return { where: `fd ${address.kind === 'fd' ? address.fd : ''}`, tcpHost: null };
  const { address: host, port } = bound;
  return { where: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`, tcpHost: host };
}

/**
 * Binds the socket inside a fresh 0700 folder beside its path, sets it 0600, then renames it into
 * place: there is no moment at which the socket exists, at its final path or anywhere else
 * reachable, with the mode the umask gave it. A live server at the path refuses the start; a
 * stale socket file is replaced by the rename.
 */
async function listenOnSocket(server: Server, path: string): Promise<void> {
  if (await isSocketLive(path)) {
    throw new EbbError('ADMIN_FAILED', `admin socket ${path} is in use by a running server`);
  }
  await checkFolderIsSafe(path, 'ADMIN_FAILED');
  let folder: string;
  try {
    folder = await mkdtemp(join(dirname(path), '.ebb-'));
  } catch (error) {
    throw new EbbError('ADMIN_FAILED', `cannot create the admin socket ${path}: ${String(error)}`, {
      cause: error,
    });
  }
  // A short name inside: a socket path has a length limit of about 107 bytes.
  const staging = join(folder, 's');
  try {
    await listen(server, `unix:${path}`, () => server.listen(staging));
    await chmod(staging, 0o600);
    await rename(staging, path);
  } catch (error) {
    server.close();
    throw error instanceof EbbError
      ? error
      : new EbbError('ADMIN_FAILED', `cannot create the admin socket ${path}: ${String(error)}`, {
          cause: error,
        });
  } finally {
    await unlink(staging).catch(() => undefined);
    await rmdir(folder).catch(() => undefined);
  }
}

interface TokenFile {
  readonly path: string;
  readonly token: string;
  /** The private folder made for it, removed with it; null when the operator named the file. */
  readonly folder: string | null;
}

/** A fresh random token, written 0600 where asked or in a private folder of its own. */
async function writeToken(asked: string | null): Promise<TokenFile> {
  const token = randomBytes(32).toString('base64url');
  let folder: string | null = null;
  let path = asked;
  try {
    if (path === null) {
      folder = await mkdtemp(join(tmpdir(), 'ebb-admin-'));
      path = join(folder, 'token');
    } else {
      await checkFolderIsSafe(path, 'ADMIN_FAILED');
    }
    await writeFileAtomically(path, `${token}\n`, 0o600);
  } catch (error) {
    if (folder !== null) await rmdir(folder).catch(() => undefined);
    if (error instanceof EbbError) throw error;
    throw new EbbError(
      'ADMIN_FAILED',
      `cannot write the admin token file ${path ?? basename(tmpdir())}: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  return { path, token, folder };
}

/** Removes the token file if it still holds our token (a newer ebb may have replaced it). */
async function removeToken(file: TokenFile): Promise<void> {
  const text = await readFile(file.path, 'utf8').catch(() => '');
  if (text.trim() === file.token) await unlink(file.path).catch(() => undefined);
  if (file.folder !== null) await rmdir(file.folder).catch(() => undefined);
}
