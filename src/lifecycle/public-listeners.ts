/**
 * All public listeners, plain and TLS, bound together: if one cannot be bound none stays open.
 * Both kinds are plain TCP listeners; a TLS one hands each accepted socket to its own acceptor,
 * which wraps it in TLS.
 */
import type { Socket } from 'node:net';
import {
  bindListeners,
  type ListenAddress,
  type ListenerErrorSink,
  type PublicListeners,
} from './listeners.js';

export interface ListenerGroup {
  readonly addresses: readonly ListenAddress[];
  readonly onSocket: (socket: Socket) => void;
  /** Appended to each address in the start-up lines and /status, e.g. ` (TLS)`. */
  readonly suffix: string;
}

export async function bindPublicListeners(
  groups: readonly ListenerGroup[],
  onError: ListenerErrorSink,
): Promise<PublicListeners> {
  const bound: PublicListeners[] = [];
  try {
    for (const group of groups) {
      if (group.addresses.length > 0)
        bound.push(await bindListeners(group.addresses, group.onSocket, onError));
    }
  } catch (error) {
    for (const listeners of bound) listeners.close();
    throw error;
  }
  const withSuffix = groups.filter((group) => group.addresses.length > 0);
  return {
    addresses: bound.flatMap((listeners, index) =>
      listeners.addresses.map((address) => `${address}${withSuffix[index]?.suffix ?? ''}`),
    ),
    close() {
      for (const listeners of bound) listeners.close();
    },
  };
}
