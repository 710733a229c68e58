/**
 * The public listeners: bound all at once or not at all, closed once. An IPv6 wildcard listed
 * beside an IPv4 wildcard on the same port is bound v6-only (as nginx binds `[::]`): with Linux's
 * default `bindv6only=0` it would otherwise claim the IPv4 port too and one of them fails with
 * EADDRINUSE. `[::]:80` alone still serves both families.
 */
import { BlockList, createServer, isIPv4, isIPv6, type Server, type Socket } from 'node:net';
import { EbbError } from '../errors.js';
import { closeAfterAcceptQueue } from './accept-queue.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface PublicListeners {
  /** `HOST:PORT` of each bound listener (IPv6 in brackets), in the order given. */
  readonly addresses: readonly string[];
  /** The listening servers, for an upgrade to hand to the new process. */
  readonly servers: readonly Server[];
  /**
   * Stops accepting now: connections already accepted are untouched, those the kernel still
   * holds in the accept queue are reset. Idempotent.
   */
  close(): void;
  /**
   * Stops accepting once the connections the kernel completed before now are accepted, so that
   * only later connects are refused (accept-queue.ts). The first call's promise every time.
   */
  closeAfterAccepting(): Promise<void>;
}

/**
 * Public listeners over `servers`. `closeOne` is how one stops accepting (a server's close by
 * default), called once per server, whichever of the two closes comes first.
 */
export function listenersOver(
  servers: readonly Server[],
  addresses: readonly string[],
  closeOne: (server: Server) => void = (server) => server.close(),
): PublicListeners {
  const closed = new Set<Server>();
  const closeServer = (server: Server): void => {
    if (closed.has(server)) return;
    closed.add(server);
    closeOne(server);
  };
  let closing: Promise<void> | null = null;
  return {
    servers,
    addresses,
    close() {
      for (const server of servers) closeServer(server);
    },
    closeAfterAccepting() {
      closing ??= Promise.all(
        servers.map((server) =>
          closed.has(server) ? Promise.resolve() : closeAfterAcceptQueue(server, closeServer),
        ),
      ).then(() => undefined);
      return closing;
    },
  };
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const BIND_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'no such local address',
};

/** After bind: a failed accept (rare: libuv absorbs EMFILE) or any other listener error. */
export type ListenerErrorSink = (error: NodeJS.ErrnoException, address: string) => void;

const IPV6_ANY = new BlockList();
IPV6_ANY.addAddress('::', 'ipv6');
const IPV4_ANY = new BlockList();
IPV4_ANY.addAddress('0.0.0.0', 'ipv4');

const isAny = (host: string, family: 'ipv4' | 'ipv6'): boolean =>
  (family === 'ipv6' ? isIPv6(host) : isIPv4(host)) &&
  (family === 'ipv6' ? IPV6_ANY : IPV4_ANY).check(host, family);

/** Whether `address` is an IPv6 wildcard that must leave IPv4 to a wildcard listed beside it. */
export function needsIpv6Only(address: ListenAddress, all: readonly ListenAddress[]): boolean {
  if (address.port === 0 || !isAny(address.host, 'ipv6')) return false;
  return all.some((other) => other.port === address.port && isAny(other.host, 'ipv4'));
}

function listenOne(
  address: ListenAddress,
  ipv6Only: boolean,
  onSocket: (socket: Socket) => void,
  onError: ListenerErrorSink,
): Promise<Server> {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, onSocket);
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = BIND_ERRORS[error.code ?? ''] ?? error.message;
      const where = formatAddress(address.host, address.port);
      reject(new EbbError('LISTEN_FAILED', `cannot listen on ${where}: ${why}`, { cause: error }));
    });
    server.listen({ host: address.host, port: address.port, backlog: 511, ipv6Only }, () => {
      server.removeAllListeners('error');
      const where = formatAddress(address.host, address.port);
      server.on('error', (error: NodeJS.ErrnoException) => onError(error, where));
      resolve(server);
    });
  });
}

export async function bindListeners(
  addresses: readonly ListenAddress[],
  onSocket: (socket: Socket) => void,
  onError: ListenerErrorSink = (error) => console.error(`ebb: listener error: ${error.message}`),
  /** Every configured address, when binding some of them (a reload adds listeners). */
  all: readonly ListenAddress[] = addresses,
): Promise<PublicListeners> {
  const results = await Promise.allSettled(
    addresses.map((a) => listenOne(a, needsIpv6Only(a, all), onSocket, onError)),
  );
  const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = results.find((r) => r.status === 'rejected');
  if (failure !== undefined) {
    for (const server of servers) server.close();
    throw failure.reason;
  }
  const bound = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address !== null
      ? formatAddress(address.address, address.port)
      : String(address);
  });
  return listenersOver(servers, bound);
}
