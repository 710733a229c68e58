/**
 * The admin listener: a Unix socket (mode 0600) or a loopback TCP port, never the public port.
 * Plain Node `http`: it carries a few requests a second, not downloads.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Server as NetServer, type Socket } from 'node:net';
import { linkSync, renameSync, unlinkSync } from 'node:fs';
import { chmod, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { EbbError } from '../errors.js';
import type { AdminAddress } from '../config/address.js';
import { sendText, type AdminRoute } from './routes.js';

export interface AdminServer {
  readonly address: string;
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
 * listening server an upgrading ebb handed over (its socket file stays in place).
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
): Promise<AdminServer> {
  const server = createServer((request, response) => {
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
  if (address.kind === 'inherited') {
    // An upgrade (issue 11): the old ebb's socket, already listening (and chmod-ed). Its
    // connections are fed to this server (a Unix socket cannot be listened on twice here).
    where =
      address.address.kind === 'unix'
        ? `unix:${address.address.path}`
        : formatTcp(address.address.host, address.address.port, address.server);
    address.take((socket) => server.emit('connection', socket));
  } else if (address.kind === 'fd') {
    // Socket activation (issue 10): systemd made the socket; its mode and path are the unit's.
    await listen(server, `fd ${address.fd} from systemd`, () => server.listen({ fd: address.fd }));
    const bound = server.address();
    where =
      typeof bound === 'string'
        ? `unix:${bound}`
        : bound === null
          ? `fd ${address.fd}`
          : bound.family === 'IPv6'
            ? `[${bound.address}]:${bound.port}`
            : `${bound.address}:${bound.port}`;
  } else if (address.kind === 'unix') {
    where = `unix:${address.path}`;
    if (await isSocketLive(address.path)) {
      throw new EbbError(
        'ADMIN_FAILED',
        `admin socket ${address.path} is in use by a running server`,
      );
    }
    await unlink(address.path).catch(() => undefined);
    await listen(server, where, () => server.listen(address.path));
    await chmod(address.path, 0o600);
  } else {
    await listen(server, `${address.host}:${address.port}`, () =>
      server.listen({ host: address.host, port: address.port }),
    );
    const bound = server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
    where = address.host.includes(':') ? `[${address.host}]:${port}` : `${address.host}:${port}`;
  }

  let closing: Promise<void> | null = null;
  let released = false;
  let stopped: Promise<void> | null = null;
  const listening: NetServer = address.kind === 'inherited' ? address.server : server;
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
    server: listening,
    release() {
      released = true;
      // libuv removes a Unix socket file when the server that bound it closes (synchronously,
      // in close()): a second link to it, renamed back at once, keeps the path for the new ebb.
      const spare = socketPath === null ? null : `${socketPath}.${process.pid}.handover`;
      const linked =
        spare !== null && socketPath !== null && tryFs(() => linkSync(socketPath, spare));
      void stop();
      if (linked && socketPath !== null) {
        tryFs(() => renameSync(spare, socketPath));
        // Still there when the path was not removed (a socket this process did not bind).
        tryFs(() => unlinkSync(spare));
      }
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
      })();
      return closing;
    },
  };
}

function tryFs(step: () => void): boolean {
  try {
    step();
    return true;
  } catch {
    return false;
  }
}

function formatTcp(host: string, port: number, server: NetServer): string {
  const bound = server.address();
  const actual = typeof bound === 'object' && bound !== null ? bound.port : port;
  return host.includes(':') ? `[${host}]:${actual}` : `${host}:${actual}`;
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
