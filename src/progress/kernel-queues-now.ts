/**
 * The kernel's queues read synchronously, for the moments a socket must be read before the next
 * event can change it: a listener about to close (its accept queue), the drain's start (what
 * each connection's client had sent), a cut (what its client had acknowledged). A full read of
 * /proc/net/tcp{,6} walks the whole socket table, so only for those moments; a listener's read
 * stops after the listening rows. Linux only; elsewhere every socket reads as unknown.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { parseProcNetTcp } from './proc-net-tcp.js';
import { procEndpoint } from './tcp-key.js';

export type TcpQueue = 'tx' | 'rx';

/** The /proc row key of a socket listening on `address:port` (its remote side is all zeros). */
export function listenTcpKey(address: string, port: number): string {
  const local = procEndpoint(address, port);
  if (local === '') return '';
  return `${local} ${isIPv4(address) ? '00000000' : '0'.repeat(32)}:0000`;
}

/** One queue of every TCP socket now: tx_queue (unacknowledged) or rx_queue (unread). */
export function readQueuesNow(queue: TcpQueue): Map<string, number> {
  const queues = new Map<string, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    parseProcNetTcp(text, null, (key, tx, rx) => queues.set(key, queue === 'tx' ? tx : rx));
  }
  return queues;
}

/**
 * rx_queue of every listening socket of `family` now (its connections completed and not yet
 * accepted). The kernel lists listening sockets first and writes /proc/net/tcp as it is read,
 * so the read stops at the first row that is not LISTEN: it costs the listeners' rows, however
 * many connections are open.
 */
export function readListenQueuesNow(family: 'IPv4' | 'IPv6'): Map<string, number> {
  const queues = new Map<string, number>();
  readListenRows(family === 'IPv4' ? '/proc/net/tcp' : '/proc/net/tcp6', queues);
  return queues;
}

/** A row whose state (`st`) is not 0A, TCP_LISTEN. */
const NOT_LISTENING = /\n *\d+: \S+ \S+ (?!0A )[0-9A-F]{2} /;
const LISTEN_READ_BYTES = 4096;

function readListenRows(file: string, into: Map<string, number>): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return;
  }
  try {
    const chunk = Buffer.allocUnsafe(LISTEN_READ_BYTES);
    let text = '';
    for (;;) {
      const bytes = readSync(fd, chunk, 0, chunk.length, null);
      if (bytes === 0) break;
      const from = Math.max(0, text.length - 1);
      text += chunk.toString('latin1', 0, bytes);
      if (NOT_LISTENING.test(text.slice(from))) break;
    }
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    parseProcNetTcp(complete, null, (key, _tx, rx) => into.set(key, rx));
  } catch {
    // unreadable: the queues stay unknown
  } finally {
    closeSync(fd);
  }
}
