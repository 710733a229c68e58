/**
 * The key of a TCP socket in the kernel's tables: `local remote`, each `ADDRESS:PORT` in hex
 * as /proc/net/tcp{,6} prints them. The registry keys each connection once at accept; the
 * readers of the kernel's queues (ss-tcp.ts, proc-net-tcp.ts) key their rows the same way.
 */
import type { Socket } from 'node:net';

/** The `local_address rem_address` pair of a socket as its /proc row spells it, or ''. */
export function tcpKey(socket: Socket): string {
  const local = procEndpoint(socket.localAddress, socket.localPort);
  const remote = procEndpoint(socket.remoteAddress, socket.remotePort);
  return local === '' || remote === '' ? '' : `${local} ${remote}`;
}

/** One end, `ADDRESS:PORT` in /proc's hex, from Node's or ss's spelling; '' when unreadable. */
export function procEndpoint(address: string | undefined, port: number | undefined): string {
  if (address === undefined || port === undefined || !(port >= 0 && port <= 0xffff)) return '';
  const portHex = (HEX_BYTES[port >> 8] ?? '') + (HEX_BYTES[port & 0xff] ?? '');
  // IPv4 first and by hand: ss prints one per socket of every sample, ten thousand a second.
  const v4 = ipv4Hex(address);
  if (v4 !== null) return `${v4}:${portHex}`;
  const bytes = ipv6Bytes(address);
  if (bytes === null) return '';
  let hex = '';
  for (let i = 0; i < 16; i += 4) hex += wordHex(bytes.slice(i, i + 4));
  return `${hex}:${portHex}`;
}

/** `00` … `FF`. */
const HEX_BYTES: readonly string[] = Array.from({ length: 256 }, (_, byte) =>
  byte.toString(16).toUpperCase().padStart(2, '0'),
);

/**
 * A dotted quad as the kernel prints it (the 32-bit word in host order: little-endian here),
 * or null if `address` is not one.
 */
function ipv4Hex(address: string): string | null {
  let hex = '';
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= address.length; i++) {
    const code = i < address.length ? address.charCodeAt(i) : 46; // a '.' after the last
    if (code >= 48 && code <= 57 && digits < 3) {
      octet = octet * 10 + code - 48;
      digits++;
    } else if (code === 46 && digits > 0 && octet <= 255 && dots < 4) {
      hex = (HEX_BYTES[octet] ?? '') + hex;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return null;
    }
  }
  return dots === 4 ? hex : null;
}

/** The kernel prints each 32-bit word in host order (little-endian here). */
function wordHex(bytes: number[]): string {
  let hex = '';
  for (let i = bytes.length - 1; i >= 0; i--) hex += HEX_BYTES[bytes[i] ?? 0] ?? '00';
  return hex;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function ipv6Bytes(address: string): number[] | null {
  let text = address.split('%')[0] ?? '';
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1] !== undefined) {
    tail = ipv4Bytes(v4[1]);
    text = `${text.slice(0, -v4[1].length)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = (halves[0] ?? '').split(':').filter((g) => g !== '');
  const rest = halves.length === 2 ? (halves[1] ?? '').split(':').filter((g) => g !== '') : [];
  const zeros = 8 - head.length - rest.length;
  if (zeros < 0 || (halves.length === 1 && zeros !== 0)) return null;
  const groups = [...head, ...Array<string>(zeros).fill('0'), ...rest];
  const bytes: number[] = [];
  for (const group of groups) {
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** The local port of a tcpKey, or null for '' or a key it cannot read. */
export function localPortOfKey(key: string): number | null {
  const end = key.indexOf(' ');
  const colon = key.lastIndexOf(':', end);
  if (end === -1 || colon === -1) return null;
  const port = parseInt(key.slice(colon + 1, end), 16);
  return Number.isInteger(port) ? port : null;
}

/** The peer's port of a tcpKey, or null for '' or a key it cannot read. */
export function peerPortOfKey(key: string): number | null {
  const colon = key.lastIndexOf(':');
  if (key.indexOf(' ') === -1 || colon < key.indexOf(' ')) return null;
  const port = parseInt(key.slice(colon + 1), 16);
  return Number.isInteger(port) ? port : null;
}
