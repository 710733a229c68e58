/**
 * Connections within the open-file limit. At the limit, libuv's accept() meets EMFILE and quietly
 * accepts and closes the waiting connections itself (its reserve-descriptor trick): Node emits
 * nothing, so ebb could not tell. Instead ebb keeps the count of connections below what the
 * limit leaves room for (each download holds its socket and its file; a reserve stays for the
 * admin listener, log reopening and listings), refuses the ones beyond by closing them at once,
 * and says so: counted, told (rate-limited), shown in /status, and told again when it recovers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Warnings } from './warnings.js';

/** Descriptors a download holds: its socket and its file. */
export const FDS_PER_CONNECTION = 2;
/** Descriptors kept free beyond the connections (admin, log reopen, listings, pid file). */
export const FD_RESERVE = 32;
/** Below this room the operator is told at start. */
export const LOW_CAPACITY = 1024;

/** The soft `Max open files` of this process (Linux /proc); null where it cannot be read. */
export function readOpenFileLimit(limitsText: string): number | null {
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(limitsText);
  if (match === null || match[1] === 'unlimited') return null;
  return Number(match[1]);
}

/** How many connections fit: what the limit leaves after the descriptors in use and the reserve. */
export function connectionCapacity(maxFds: number, fdsInUse: number): number {
  return Math.max(1, Math.floor((maxFds - fdsInUse - FD_RESERVE) / FDS_PER_CONNECTION));
}

function measure(): { maxFds: number; capacity: number } | null {
  try {
    const maxFds = readOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
    if (maxFds === null) return null;
    // The listing itself holds one descriptor while it is read.
    const inUse = readdirSync('/proc/self/fd').length - 1;
    return { maxFds, capacity: connectionCapacity(maxFds, inUse) };
  } catch {
    return null; // not Linux: no bound of ours, the system's stands
  }
}

export class FdGate {
  private capacity = Infinity;
  private maxFds: number | null = null;
  private refusing = false;

  constructor(
    private readonly openConnections: () => number,
    private readonly warnings: Warnings,
  ) {}

  /**
   * Measures once everything ebb opens at start is open (listeners, admin, log, pid file).
   * Returns a line for the operator when the room is small, or null.
   */
  measure(): string | null {
    const measured = measure();
    if (measured === null) return null;
    this.capacity = measured.capacity;
    this.maxFds = measured.maxFds;
    if (measured.capacity >= LOW_CAPACITY) return null;
    return (
      `the open-file limit (${measured.maxFds}) leaves room for ${measured.capacity} connections; ` +
      'raise it with ulimit -n or systemd LimitNOFILE='
    );
  }

  /** Wraps the acceptor: a connection beyond the room is closed at once and counted. */
  guard(onSocket: (socket: Socket) => void): (socket: Socket) => void {
    return (socket) => {
      if (this.openConnections() < this.capacity) {
        if (this.refusing) this.recovered();
        onSocket(socket);
        return;
      }
      socket.on('error', () => undefined);
      socket.destroy();
      this.refusing = true;
      this.warnings.record(
        'ACCEPT_FAILED',
        `at the open-file limit (${this.maxFds} descriptors, room for ${this.capacity} connections): ` +
          'refusing new connections',
      );
    };
  }

  private recovered(): void {
    this.refusing = false;
    const refused = this.warnings.count('ACCEPT_FAILED');
    this.warnings.resolve(
      'ACCEPT_FAILED',
      `accepting connections again (below the open-file limit); ${refused} refused so far`,
    );
  }
}
