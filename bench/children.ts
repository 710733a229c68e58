/**
 * Every process the suite starts, so each can be stopped by its pid: at the end of a
 * measurement, on an error, and on Ctrl-C.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

const live = new Set<ChildProcess>();

/** Spawns `argv` under `ulimit -n fdLimit`; the shell execs it, so the pid is the program's. */
export function spawnWithFdLimit(
  argv: readonly string[],
  fdLimit: number,
  options: SpawnOptions = {},
): ChildProcess {
  const child = spawn('bash', ['-c', `ulimit -n ${fdLimit} && exec "$@"`, 'bench', ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (hasExited(child) || child.pid === undefined) return;
  const exited = once(child, 'exit');
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (!hasExited(child) && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child)));
}

/** Synchronous last resort for `process.on('exit')`: SIGKILL whatever is left, by pid. */
export function killAllChildrenNow(): void {
  for (const child of live) {
    if (child.pid !== undefined && !hasExited(child)) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
