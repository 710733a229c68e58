/**
 * Who may use the admin listener: one pure decision per request, before any route runs.
 * - Every request: `Host`, when present, must name the listener itself (`localhost`, a loopback address, or the
 *   address it is bound to; any port, as `ssh -L` changes it). A DNS-rebinding page's requests
 *   carry its own host name, so it can read nothing.
 * - A state-changing request (any method but GET, HEAD and OPTIONS): an `Origin`, when present, must be
 *   the listener's own origin and `Sec-Fetch-Site` must not say cross-site, so a web page cannot
 *   send a CORS-simple `POST /stop`; and on TCP the token must come as `Authorization: Bearer`,
 *   since any local user can connect to a port. A Unix socket (0600) needs no token: its
 *   permissions already say who may connect.
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { isLoopbackHost } from '../config/address.js';

export interface AdminPolicy {
  /** The address the listener is bound to (`127.0.0.1`, `::`), or null for a Unix socket. */
  readonly boundHost: string | null;
  /** Required for state-changing requests; null: none required (Unix socket). */
  readonly token: string | null;
}

export interface AdminRequestHead {
  readonly method: string;
  readonly host: string | undefined;
  readonly origin: string | undefined;
  readonly secFetchSite: string | undefined;
  readonly authorization: string | undefined;
}

export type AdminVerdict =
  | { readonly kind: 'allowed' }
  | { readonly kind: 'refused'; readonly status: 401 | 403; readonly reason: string };

const allowed: AdminVerdict = { kind: 'allowed' };
const refuse = (status: 401 | 403, reason: string): AdminVerdict => ({
  kind: 'refused',
  status,
  reason,
});

/** The host name of a `Host` value (`[::1]:9000` → `::1`), lower case; null if malformed. */
export function hostNameOf(host: string): string | null {
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(host);
  if (bracketed !== null) return (bracketed[1] ?? '').toLowerCase();
  const plain = /^([A-Za-z0-9.-]+)(?::\d{1,5})?$/.exec(host);
  return plain === null ? null : (plain[1] ?? '').toLowerCase();
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** Whether a `Host` value names this listener (never a host name but `localhost`). */
export function isOwnHost(host: string, boundHost: string | null): boolean {
  const name = hostNameOf(host);
  if (name === null) return false;
  if (isLoopbackHost(name)) return true;
  if (boundHost === null || isIP(name) === 0) return false;
  return name === boundHost.toLowerCase() || isWildcard(boundHost);
}

function hasToken(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+)$/i.exec(authorization ?? '');
  if (match?.[1] === undefined) return false;
  const given = Buffer.from(match[1]);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export function decideAdminRequest(head: AdminRequestHead, policy: AdminPolicy): AdminVerdict {
  // No Host at all is an HTTP/1.0 probe (HAProxy's default httpchk), never a browser.
  if (head.host !== undefined && !isOwnHost(head.host, policy.boundHost)) {
    return refuse(403, 'Host does not name this admin listener');
  }
  // OPTIONS is safe too (RFC 9110): HAProxy's default check, answered as /ready is.
  if (head.method === 'GET' || head.method === 'HEAD' || head.method === 'OPTIONS') return allowed;
  if (head.origin !== undefined && head.origin !== `http://${head.host}`) {
    return refuse(403, 'cross-origin request refused');
  }
  if (head.secFetchSite !== undefined && !['same-origin', 'none'].includes(head.secFetchSite)) {
    return refuse(403, 'cross-site request refused');
  }
  if (policy.token !== null && !hasToken(head.authorization, policy.token)) {
    return refuse(401, 'this request needs the admin token (Authorization: Bearer TOKEN)');
  }
  return allowed;
}
