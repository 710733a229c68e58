/**
 * Which clients count as one for `--max-connections-per-ip`: an IPv4 address on its own (an
 * IPv4-mapped IPv6 address is the IPv4 one), an IPv6 address by its prefix, since one host or
 * site gets a whole /64 (or more) and picks addresses from it freely.
 */
import { isIPv4 } from 'node:net';

const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** The eight 16-bit groups of an IPv6 address, or null if `address` is not one. */
function ipv6Words(address: string): number[] | null {
  const text = address.split('%')[0] ?? '';
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const words = (part: string | undefined): string[] =>
    part === undefined || part === '' ? [] : part.split(':');
  const head = words(halves[0]);
  const tail = words(halves[1]);
  const last = tail.length > 0 ? tail : head;
  const v4 = last[last.length - 1];
  if (v4 !== undefined && isIPv4(v4)) {
    const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
    last.splice(last.length - 1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  const all = [...head, ...Array<string>(missing).fill('0'), ...tail];
  const parsed = all.map((word) => (/^[0-9a-f]{1,4}$/i.test(word) ? parseInt(word, 16) : NaN));
  return parsed.some(Number.isNaN) ? null : parsed;
}

/** The group key of a client address: `192.0.2.7`, or `2001:db8:0:1::/64` for IPv6. */
export function clientGroup(address: string, ipv6PrefixBits: number): string {
  const mapped = MAPPED_IPV4.exec(address)?.[1];
  if (mapped !== undefined) return mapped;
  if (isIPv4(address)) return address;
  const words = ipv6Words(address);
  if (words === null) return address;
  const kept = words.map((word, index) => {
    const bits = Math.min(16, Math.max(0, ipv6PrefixBits - index * 16));
    return bits === 0 ? 0 : word & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${kept.map((word) => word.toString(16)).join(':')}/${ipv6PrefixBits}`;
}
