/**
 * Who a process is, beyond its pid (which the kernel reuses): its start time in clock ticks
 * since boot (field 22 of `/proc/PID/stat`) and the uid it runs as. Linux only; elsewhere a
 * process cannot be identified and is never signalled on a pid file's word.
 */
import { readFile, stat } from 'node:fs/promises';

export interface ProcessIdentity {
  readonly pid: number;
  /** Decimal text: ticks since boot can pass 2^53 on no real machine, but it costs nothing. */
  readonly startTicks: string;
  readonly uid: number;
}

/** Field 22 of a `/proc/PID/stat` line; the command name (field 2) may hold spaces and `)`. */
export function startTicksOf(statLine: string): string | null {
  const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  // The fields after the name start at field 3.
  const ticks = fields[22 - 3];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : null;
}

/** The identity of a running process, or null if it is not running (or not visible). */
export async function readProcessIdentity(pid: number): Promise<ProcessIdentity | null> {
  try {
    const [line, owner] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'latin1'),
      stat(`/proc/${pid}`),
    ]);
    const startTicks = startTicksOf(line);
    return startTicks === null ? null : { pid, startTicks, uid: owner.uid };
  } catch {
    return null;
  }
}
