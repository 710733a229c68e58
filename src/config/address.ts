/**
 * Listen and admin addresses as operators write them: `PORT`, `HOST:PORT`, `[IPV6]:PORT`, and
 * for the admin API also `unix:PATH`. Pure parsing; nothing here opens a socket.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export type AdminAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** A bare `PORT` listens on every IPv4 interface, as nginx's `listen 80` does. */
export const ANY_IPV4_HOST = '0.0.0.0';

const PORT = /^\d{1,5}$/;
const BRACKETED = /^\[([^\]]+)\]:([^:]+)$/;
const HOST_NAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const DOTTED_NUMBERS = /^[\d.]+$/;
const UNIX_PREFIX = 'unix:';

function parsePort(text: string): number | undefined {
  if (!PORT.test(text)) return undefined;
  const port = Number(text);
  return port <= 65_535 ? port : undefined;
}

function isHost(text: string): boolean {
  if (DOTTED_NUMBERS.test(text)) return isIPv4(text);
  return HOST_NAME.test(text);
}

/** `HOST:PORT` or `[IPV6]:PORT`; the host comes back without brackets. */
export function parseHostPort(text: string): ListenAddress | undefined {
  const bracketed = BRACKETED.exec(text);
  if (bracketed !== null) {
    const [, host = '', portText = ''] = bracketed;
    const port = parsePort(portText);
    return isIPv6(host) && port !== undefined ? { host, port } : undefined;
  }
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon);
  const port = parsePort(text.slice(colon + 1));
  if (colon < 0 || !isHost(host) || port === undefined) return undefined;
  return { host, port };
}

/** `PORT`, `HOST:PORT` or `[IPV6]:PORT`. Port 0 asks the system for any free port. */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const port = parsePort(text);
  return port === undefined ? parseHostPort(text) : { host: ANY_IPV4_HOST, port };
}

/**
 * `unix:PATH`, `HOST:PORT`, `[IPV6]:PORT` or `off`. The unix path comes back as written, for the
 * caller to resolve. A bare port is refused so the admin API is never public by accident.
 */
export function parseAdminAddress(text: string): AdminAddress | 'off' | undefined {
  if (text === 'off') return 'off';
  if (text.startsWith(UNIX_PREFIX)) {
    const path = text.slice(UNIX_PREFIX.length);
    return path === '' ? undefined : { kind: 'unix', path };
  }
  const address = parseHostPort(text);
  return address === undefined ? undefined : { kind: 'tcp', ...address };
}

/** `localhost`, 127.0.0.0/8, `::1` (also as `::ffff:127.…`): reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (name === 'localhost') return true;
  if (isIPv4(name)) return name.startsWith('127.');
  return name === '::1' || /^::ffff:127\./.test(name);
}
