/**
 * The syntax of a request's authority (RFC 9112 §3.2, RFC 3986 §3.2.2–§3.2.3), as the Host
 * field and an absolute-form target carry it: `host [ ":" port ]`, where host is an IP-literal
 * in brackets or a reg-name (which also covers IPv4address) and port is digits, possibly none.
 * Userinfo is refused (RFC 9110 §4.2.4). ebb answers to any host name, so only the syntax is
 * checked: a value like `a:b:80` or `[::1]/../` is a broken or hostile client.
 */
import { isIPv6 } from 'node:net';

// reg-name = *( unreserved / pct-encoded / sub-delims )
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
const IPV_FUTURE = /^v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/;
const PORT = /^[0-9]*$/;

/**
 * `emptyHostAllowed`: a Host field may be empty (RFC 9110 §7.2); an http URI's host may not
 * (RFC 9110 §4.2.1), so an absolute-form target must name one.
 */
export function isValidAuthority(authority: string, emptyHostAllowed: boolean): boolean {
  let host = authority;
  let port = '';
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close === -1) return false;
    host = authority.slice(0, close + 1);
    const rest = authority.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return false;
    port = rest.slice(1);
    if (!isIpLiteral(host)) return false;
  } else {
    const colon = authority.indexOf(':');
    if (colon !== -1) {
      host = authority.slice(0, colon);
      port = authority.slice(colon + 1);
    }
    if (!REG_NAME.test(host) || (host === '' && !emptyHostAllowed)) return false;
  }
  return PORT.test(port);
}

function isIpLiteral(bracketed: string): boolean {
  const inner = bracketed.slice(1, -1);
  // A zone id ("%eth0") is not URI syntax without RFC 6874's "%25"; a mirror has no use for it.
  if (inner.includes('%')) return false;
  return isIPv6(inner) || IPV_FUTURE.test(inner);
}

/**
 * The authority of an absolute-form target (`scheme://authority/path?query`), or null when the
 * target is not in absolute form. Userinfo stays in the authority, so it fails the check.
 */
export function absoluteFormAuthority(target: string): string | null {
  if (target.startsWith('/')) return null; // origin-form, nearly every request: no expression
  const match = /^[A-Za-z][A-Za-z0-9+\-.]*:\/\/([^/?#]*)/.exec(target);
  return match === null ? null : (match[1] ?? '');
}
