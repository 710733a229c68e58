/**
 * What an upgrading ebb and the ebb it starts say to each other over the IPC channel (Node's
 * `child.send(message, handle)`: the listening sockets travel as handles, public API only).
 *
 *   new → old  hello                  (ready to receive: a handle sent earlier would be lost)
 *   old → new  listener {key, tls} + handle, once per public listener, keyed by configured
 *              address; `tls`: a `--listen-tls` one, which the new ebb wraps in TLS with the
 *              certificate it read itself
 *   old → new  admin + handle         (the admin listener, when there is one)
 *   old → new  sent {oldPid}          (that was all)
 *   new → old  ready {pid} | failed {problem}
 *   old → new  generations {rows}     (the old one and those older, while they drain)
 */

/** A generation still running beside the newest, as `/status` and `ebb status` show it. */
export interface GenerationRow {
  readonly pid: number;
  readonly state: string;
  readonly connections: number;
  readonly downloadsInFlight: number;
  readonly bytesLeft: number;
}

export type ToNewMessage =
  | { readonly type: 'listener'; readonly key: string; readonly tls?: boolean }
  | { readonly type: 'admin' }
  | { readonly type: 'sent'; readonly oldPid: number }
  | { readonly type: 'generations'; readonly rows: readonly GenerationRow[] };

export type ToOldMessage =
  | { readonly type: 'hello' }
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'failed'; readonly problem: string };

/** The environment variable that tells `ebb serve` it was started by an upgrade. */
export const HANDOVER_ENV = 'EBB_HANDOVER';

const TO_OLD = new Set(['hello', 'ready', 'failed']);
const TO_NEW = new Set(['listener', 'admin', 'sent', 'generations']);

function typeOf(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' ? type : null;
}

export function isToOldMessage(value: unknown): value is ToOldMessage {
  return TO_OLD.has(typeOf(value) ?? '');
}

export function isToNewMessage(value: unknown): value is ToNewMessage {
  return TO_NEW.has(typeOf(value) ?? '');
}
