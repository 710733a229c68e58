/**
 * Public listeners handed over by systemd: adopted from their descriptors instead of bound.
 *
 * systemd keeps its own copy of each listening socket, so closing ours does not make the kernel
 * refuse connects: they would queue on the socket, unanswered, for the whole drain (hours, for a
 * slow mirror client), and be reset only when systemd closes the socket. So once a drain closes
 * these listeners, ebb keeps accepting on them and resets each newcomer at once — the nearest
 * thing to a refused connect a client can see. With `--drain-new 503|redirect=URL` the lifecycle
 * keeps them open as usual and newcomers get that answer instead.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { EbbError } from '../errors.js';
import { formatAddress, listenersOver, type PublicListeners } from '../lifecycle/listeners.js';
import { ACTIVATION_VARIABLES, readSocketActivation } from './socket-activation.js';

function adoptOne(fd: number, onSocket: (socket: Socket) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, onSocket);
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void =>
      reject(
        new EbbError(
          'SOCKET_ACTIVATION_INVALID',
          `cannot use fd ${fd} from systemd as a listener: ${error.message}`,
          { cause: error },
        ),
      );
    server.once('error', fail);
    try {
      server.listen({ fd }, () => {
        server.off('error', fail);
        server.on('error', (error) => console.error(`ebb: listener error: ${error.message}`));
        resolve(server);
      });
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

function describe(server: Server, fd: number): string {
  const bound = server.address();
  if (typeof bound === 'object' && bound !== null) return formatAddress(bound.address, bound.port);
  return typeof bound === 'string' ? `unix:${bound}` : `fd ${fd}`;
}

/**
 * Listeners on systemd's descriptors; closing turns each into "reset every newcomer" (after the
 * connections queued before it, with `closeAfterAccepting`).
 */
export async function adoptListeners(
  fds: readonly number[],
  onSocket: (socket: Socket) => void,
): Promise<PublicListeners> {
  const servers: Server[] = [];
  const closed = new Set<number>();
  const admitOn =
    (index: number) =>
    (socket: Socket): void => {
      if (closed.has(index)) socket.resetAndDestroy();
      else onSocket(socket);
    };
  try {
    for (const fd of fds) servers.push(await adoptOne(fd, admitOn(servers.length)));
  } catch (error) {
    for (const server of servers) server.close();
    throw error;
  }
  const addresses = servers.map((server, index) => describe(server, fds[index] ?? -1));
  return listenersOver(servers, addresses, (server) => closed.add(servers.indexOf(server)));
}

export interface InheritedListeners {
  /** Public listeners from systemd; empty means bind `--listen` as usual. */
  readonly publicFds: readonly number[];
  readonly adminFd: number | null;
  /** `fd 3 (public), fd 4 (admin)`, for the start-up lines. */
  readonly description: string;
}

/**
 * Reads (and removes, so no child inherits them) LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES; throws
 * SOCKET_ACTIVATION_INVALID when they are set but not meant for ebb or name unknown listeners.
 */
export function takeSocketActivation(): InheritedListeners {
  const result = readSocketActivation(process.env, process.pid);
  for (const name of ACTIVATION_VARIABLES) delete process.env[name];
  if (!result.ok) {
    throw new EbbError('SOCKET_ACTIVATION_INVALID', `socket activation: ${result.problem}`);
  }
  const activation = result.activation;
  if (activation.kind === 'none') return { publicFds: [], adminFd: null, description: '' };
  const parts = activation.publicFds.map((fd) => `fd ${fd} (public)`);
  if (activation.adminFd !== null) parts.push(`fd ${activation.adminFd} (admin)`);
  return { ...activation, description: parts.join(', ') };
}
