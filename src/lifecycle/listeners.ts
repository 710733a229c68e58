/** The public listeners: bound all at once or not at all, closed once. */
import { createServer, type Server, type Socket } from 'node:net';
import { EbbError } from '../errors.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface PublicListeners {
  /** `HOST:PORT` of each bound listener (IPv6 in brackets), in the order given. */
  readonly addresses: readonly string[];
  /** The listening servers, for an upgrade to hand to the new process. */
  readonly servers: readonly Server[];
  /** Stops accepting now; connections already accepted are untouched. Idempotent. */
  close(): void;
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const BIND_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'no such local address',
};

function listenOne(address: ListenAddress, onSocket: (socket: Socket) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, onSocket);
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = BIND_ERRORS[error.code ?? ''] ?? error.message;
      const where = formatAddress(address.host, address.port);
      reject(new EbbError('LISTEN_FAILED', `cannot listen on ${where}: ${why}`, { cause: error }));
    });
    server.listen({ host: address.host, port: address.port, backlog: 511 }, () => {
      server.removeAllListeners('error');
      server.on('error', (error) => console.error(`ebb: listener error: ${error.message}`));
      resolve(server);
    });
  });
}

export async function bindListeners(
  addresses: readonly ListenAddress[],
  onSocket: (socket: Socket) => void,
): Promise<PublicListeners> {
  const results = await Promise.allSettled(addresses.map((a) => listenOne(a, onSocket)));
  const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = results.find((r) => r.status === 'rejected');
  if (failure !== undefined) {
    for (const server of servers) server.close();
    throw failure.reason;
  }
  let closed = false;
  return {
    servers,
    addresses: servers.map((server) => {
      const bound = server.address();
      return typeof bound === 'object' && bound !== null
        ? formatAddress(bound.address, bound.port)
        : String(bound);
    }),
    close() {
      if (closed) return;
      closed = true;
      for (const server of servers) server.close();
    },
  };
}
