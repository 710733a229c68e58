/**
 * Servers on CPU 0, load generators on CPU 1 (taskset), so the two do not fight over a core
 * and run-to-run noise drops. Off with --no-pin, or when taskset or a second CPU is missing.
 */
import { availableParallelism } from 'node:os';
import { hasCommand } from './prereqs.js';

export type CpuRole = 'server' | 'client';

const CPU_OF_ROLE: Record<CpuRole, string> = { server: '0', client: '1' };

let enabled = false;

/** Turns pinning on when asked and possible; returns whether it is on. */
export function enablePinning(wanted: boolean): boolean {
  enabled = wanted && availableParallelism() >= 2 && hasCommand('taskset');
  return enabled;
}

/** `argv` prefixed with `taskset -c CPU` for its role when pinning is on. */
export function pinned(role: CpuRole, argv: readonly string[]): string[] {
  return enabled ? ['taskset', '-c', CPU_OF_ROLE[role], ...argv] : [...argv];
}
