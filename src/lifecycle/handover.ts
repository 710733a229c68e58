/**
 * The new side of an upgrade: says hello on the IPC channel, receives the old ebb's listening
 * servers (keyed by configured address) and its admin listener, and listens on them — the
 * "listen on an existing handle" path, as socket activation listens on an inherited fd. Then
 * tells the old one it is ready (or why it failed).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { EbbError } from '../errors.js';
import type { ListenAddress } from '../config/schema.js';
import { listenKey } from '../config/diff-config.js';
import { isToNewMessage, type ToNewMessage, type ToOldMessage } from './handover-protocol.js';
import {
  formatAddress,
  listenersOver,
  type ListenerErrorSink,
  type PublicListeners,
} from './listeners.js';
import { bindEach, type KeyedListener } from './listener-set.js';

/** The IPC channel to the old ebb, as the CLI wraps `process`. */
export interface ParentChannel {
  send(message: ToOldMessage): Promise<void>;
  onMessage(listener: (message: unknown, handle: unknown) => void): void;
  /** The old process has exited (or closed the channel). */
  onGone(listener: () => void): void;
}

export interface Inherited {
  /** Each handed-over public listener, already listening here, keyed by configured address. */
  readonly listeners: ReadonlyMap<string, PublicListeners>;
  /** The same for the `--listen-tls` ones (their sockets go to the TLS side). */
  readonly tlsListeners: ReadonlyMap<string, PublicListeners>;
  /** The admin listener; `take` hands its connections (held ones first) to the admin server. */
  readonly admin: {
    readonly server: Server;
    readonly take: (onSocket: (socket: Socket) => void) => void;
  } | null;
  readonly oldPid: number;
}

export const HANDOVER_TIMEOUT_MS = 10_000;
/** Admin connections held until the admin server is up (a second or so): a few `ebb status`. */
const MAX_HELD_ADMIN_CONNECTIONS = 64;

function isServer(handle: unknown): handle is Server {
  return typeof handle === 'object' && handle !== null && 'listen' in handle && 'address' in handle;
}

/**
 * Asks for the sockets and resolves once the old ebb has sent them all. Node listens on a
 * received server at once, so each one is taken over in the same turn it arrives (before any
 * connection can be accepted on it): public ones by `onSocket` (TLS ones by `onTlsSocket`; with
 * no TLS configured here they are closed: the old ebb's drain then stops them), the admin one by
 * a holder whose connections the admin server takes later. Call it only once both can serve.
 */
export function receiveHandover(
  channel: ParentChannel,
  onSocket: (socket: Socket) => void,
  onTlsSocket: ((socket: Socket) => void) | null,
): Promise<Inherited> {
  const listeners = new Map<string, PublicListeners>();
  const tlsListeners = new Map<string, PublicListeners>();
  let admin: Inherited['admin'] = null;
  const adopt = (key: string, tls: boolean, handle: Server): void => {
    if (!tls) listeners.set(key, adoptServer(handle, onSocket));
    else if (onTlsSocket !== null) tlsListeners.set(key, adoptServer(handle, onTlsSocket));
    else handle.close();
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new EbbError('LISTEN_FAILED', 'the old ebb did not hand over its listeners')),
      HANDOVER_TIMEOUT_MS,
    );
    channel.onMessage((message, handle) => {
      if (!isToNewMessage(message)) return;
      const m: ToNewMessage = message;
      if (m.type === 'listener' && isServer(handle)) adopt(m.key, m.tls === true, handle);
      if (m.type === 'admin' && isServer(handle)) admin = holdAdmin(handle);
      if (m.type === 'sent') {
        clearTimeout(timer);
        resolve({ listeners, tlsListeners, admin, oldPid: m.oldPid });
      }
    });
    channel.send({ type: 'hello' }).catch((error: unknown) => {
      clearTimeout(timer);
      reject(new EbbError('LISTEN_FAILED', `cannot reach the old ebb: ${String(error)}`));
    });
  });
}

function holdAdmin(server: Server): NonNullable<Inherited['admin']> {
  const held: Socket[] = [];
  let forward: ((socket: Socket) => void) | null = null;
  server.on('connection', (socket: Socket) => {
    if (forward !== null) forward(socket);
    else if (held.length >= MAX_HELD_ADMIN_CONNECTIONS) socket.destroy();
    else held.push(socket.pause());
  });
  return {
    server,
    take(onSocket) {
      forward = onSocket;
      for (const socket of held.splice(0)) onSocket(socket.resume());
    },
  };
}

/** Listens on a handed-over server's socket now (synchronously: it takes the accepts over). */
function adoptServer(handle: Server, onSocket: (socket: Socket) => void): PublicListeners {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, onSocket);
  server.on('error', (error) => console.error(`ebb: listener error: ${error.message}`));
  server.listen(handle);
  const bound = server.address();
  const address =
    typeof bound === 'object' && bound !== null
      ? formatAddress(bound.address, bound.port)
      : String(bound);
  return listenersOver([server], [address]);
}

/**
 * The listeners of a new generation: every handed-over one (the same sockets, so nothing queued
 * on them is lost), then the configured addresses that were not handed over, bound afresh.
 */
export async function adoptOrBind(
  addresses: readonly ListenAddress[],
  inherited: Inherited,
  onSocket: (socket: Socket) => void,
  onError: ListenerErrorSink,
): Promise<KeyedListener[]> {
  const adopted = [...inherited.listeners].map(([key, listeners]) => ({ key, listeners }));
  const fresh = addresses.filter((a) => !inherited.listeners.has(listenKey(a)));
  try {
    return [...adopted, ...(await bindEach(fresh, onSocket, onError, addresses))];
  } catch (error) {
    for (const entry of adopted) entry.listeners.close();
    throw error;
  }
}
