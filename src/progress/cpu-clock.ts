/**
 * CPU time a process and its reaped children have used (ebb; the shell that runs `ss` and the
 * `ss` it reaped), from /proc/PID/stat: what a sample really costs, where the wall clock would also count the time
 * `ss` waited for a core on a busy machine. Linux only; null elsewhere (callers then use the
 * wall clock).
 */
import { readFileSync } from 'node:fs';

/** /proc's unit for CPU times (USER_HZ): fixed at 100 a second in Linux's user ABI. */
const MS_PER_TICK = 10;

/**
 * utime + stime + cutime + cstime of a process (this one by default), in milliseconds; null if
 * unreadable (not Linux, or the process is gone).
 */
export function readCpuMs(pid: number | 'self' = 'self'): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  return parseCpuMs(text);
}

/** The four CPU fields of a /proc/PID/stat text (after `(comm)`, which may hold spaces). */
export function parseCpuMs(text: string): number | null {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After `(comm) `: state=0 ppid=1 … utime=11 stime=12 cutime=13 cstime=14.
  let ticks = 0;
  for (const index of [11, 12, 13, 14]) {
    const value = Number(fields[index]);
    if (!Number.isSafeInteger(value) || value < 0) return null;
    ticks += value;
  }
  return ticks * MS_PER_TICK;
}
