/**
 * The key of a TCP socket in the kernel's tables: `local remote`, each `ADDRESS:PORT` in hex
 * as /proc/net/tcp{,6} prints them. The registry keys each connection once at accept; the
 * readers of the kernel's queues (ss-tcp.ts, proc-net-tcp.ts) key their rows the same way.
 */
import { isIPv4 } from 'node:net';
import type { Socket } from 'node:net';

/** The `local_address rem_address` pair of a socket as its /proc row spells it, or ''. */
export function tcpKey(socket: Socket): string {
  const local = procEndpoint(socket.localAddress, socket.localPort);
  const remote = procEndpoint(socket.remoteAddress, socket.remotePort);
  return local === '' || remote === '' ? '' : `${local} ${remote}`;
}

/** One end, `ADDRESS:PORT` in /proc's hex, from Node's or ss's spelling; '' when unreadable. */
export function procEndpoint(address: string | undefined, port: number | undefined): string {
  if (address === undefined || port === undefined) return '';
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  if (isIPv4(address)) return `${wordHex(ipv4Bytes(address))}:${portHex}`;
  const bytes = ipv6Bytes(address);
  if (bytes === null) return '';
  let hex = '';
  for (let i = 0; i < 16; i += 4) hex += wordHex(bytes.slice(i, i + 4));
  return `${hex}:${portHex}`;
}

/** The kernel prints each 32-bit word in host order (little-endian here). */
function wordHex(bytes: number[]): string {
  let hex = '';
  for (let i = bytes.length - 1; i >= 0; i--) {
    hex += (bytes[i] ?? 0).toString(16).toUpperCase().padStart(2, '0');
  }
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
