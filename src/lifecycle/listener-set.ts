/**
 * The public listeners as a set keyed by configured address, so a reload can bind the added
 * ones beside the running ones (all or none) and close the removed ones once the new config is
 * in: connections accepted on a removed listener are untouched by its close.
 */
import type { Server, Socket } from 'node:net';
import { EbbError } from '../errors.js';
import { listenKey } from '../config/diff-config.js';
import {
  bindListeners,
  type ListenAddress,
  type ListenerErrorSink,
  type PublicListeners,
} from './listeners.js';

export interface KeyedListener {
  /** The configured address (`127.0.0.1:0`), not the bound one. */
  readonly key: string;
  readonly listeners: PublicListeners;
}

/** Binds each address on its own; every one that fails is reported, the others closed again. */
export async function bindEach(
  addresses: readonly ListenAddress[],
  onSocket: (socket: Socket) => void,
  onError: ListenerErrorSink,
  all: readonly ListenAddress[] = addresses,
): Promise<KeyedListener[]> {
  const results = await Promise.allSettled(
    addresses.map(async (address) => ({
      key: listenKey(address),
      listeners: await bindListeners([address], onSocket, onError, all),
    })),
  );
  const bound = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length === 0) return bound;
  for (const entry of bound) entry.listeners.close();
  if (failures.length === 1) throw failures[0];
  throw new EbbError('LISTEN_FAILED', failures.map((f) => describe(f)).join('\n'));
}

function describe(failure: unknown): string {
  return failure instanceof Error ? failure.message : String(failure);
}

export class ListenerSet implements PublicListeners {
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(private entries: readonly KeyedListener[]) {}

  get addresses(): readonly string[] {
    return this.entries.flatMap((entry) => entry.listeners.addresses);
  }

  get servers(): readonly Server[] {
    return this.entries.flatMap((entry) => entry.listeners.servers);
  }

  /** Each listening server with its key (`KEY#2` for a key's third server), for a handover. */
  handles(): { readonly key: string; readonly server: Server }[] {
    return this.entries.flatMap((entry) =>
      entry.listeners.servers.map((server, index) => ({
        key: index === 0 ? entry.key : `${entry.key}#${index}`,
        server,
      })),
    );
  }

  /** The listeners for `order` (configured addresses): kept ones, then `added`; the rest closed. */
  replace(order: readonly ListenAddress[], added: readonly KeyedListener[]): void {
    const byKey = new Map([...this.entries, ...added].map((entry) => [entry.key, entry]));
    const next = order.flatMap((address) => {
      const entry = byKey.get(listenKey(address));
      return entry === undefined ? [] : [entry];
    });
    const kept = new Set(next);
    for (const entry of byKey.values()) {
      if (!kept.has(entry)) void entry.listeners.closeAfterAccepting();
    }
    this.entries = next;
    if (this.closed) this.close();
  }

  close(): void {
    this.closed = true;
    for (const entry of this.entries) entry.listeners.close();
  }

  closeAfterAccepting(): Promise<void> {
    this.closed = true;
    this.closing ??= Promise.all(
      this.entries.map((entry) => entry.listeners.closeAfterAccepting()),
    ).then(() => undefined);
    return this.closing;
  }
}
