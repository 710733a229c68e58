/**
 * The kernel's count of TCP connections it reset for want of TCP memory (`TCPAbortOnMemory` in
 * /proc/net/netstat; per network namespace, so every process on the machine counts). Once all
 * sockets' buffers together pass tcp_mem's third figure, Linux resets a socket closed with bytes
 * still queued instead of sending them ("TCP: out of memory -- consider tuning tcp_mem" in
 * dmesg): a proxy that closes its client's connection as soon as the last bytes are in the
 * kernel (HAProxy after a `Connection: close` reply) loses them then, whatever the server did.
 */
import { readFile } from 'node:fs/promises';

/** The count now; null where the kernel does not say (not Linux, no /proc). */
export async function tcpAbortsOnMemory(): Promise<number | null> {
  const text = await readFile('/proc/net/netstat', 'latin1').catch(() => null);
  if (text === null) return null;
  // Two lines start with "TcpExt:": the field names, then their values.
  const [names, values] = text
    .split('\n')
    .filter((line) => line.startsWith('TcpExt:'))
    .map((line) => line.trim().split(/\s+/));
  const index = names?.indexOf('TCPAbortOnMemory') ?? -1;
  const value = index > 0 ? values?.[index] : undefined;
  return value === undefined ? null : Number(value);
}
