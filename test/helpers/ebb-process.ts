/**
 * Starts the real ebb CLI as a child process and follows what it prints. Every test that starts
 * a server stops it by pid in `t.after` (see `stopAll`).
 */
import { after } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The entry point operators run (it passes ebb's V8 flags to node). */
export const EBB_BIN = fileURLToPath(new URL('../../../bin/ebb', import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class LineFollower {
  readonly lines: string[] = [];
  private waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  private ended = false;
  private endWaiters: Array<() => void> = [];

  constructor(stream: NodeJS.ReadableStream) {
    const rl = createInterface({ input: stream });
    rl.on('line', (line) => {
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pattern.test(line)) return true;
        w.resolve(line);
        return false;
      });
    });
    rl.on('close', () => {
      this.ended = true;
      for (const w of this.endWaiters) w();
    });
  }

  /** Resolves with the first line (already seen or future) that matches; rejects at stream end. */
  waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const seen = this.lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${this.text()}`));
      }, timeoutMs);
      const done = (line: string): void => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiters.push({ pattern, resolve: done });
      this.endWaiters.push(() => {
        clearTimeout(timer);
        reject(new Error(`stream ended with no line matching ${pattern}:\n${this.text()}`));
      });
      if (this.ended) this.endWaiters.forEach((w) => w());
    });
  }

  text(): string {
    return this.lines.join('\n');
  }
}

export interface EbbProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly stdout: LineFollower;
  readonly stderr: LineFollower;
  /** Resolves once the process has exited (also if it already has). */
  readonly exited: Promise<Exit>;
}

const running = new Set<ChildProcess>();

/**
 * The suite runs as root in CI, where `ebb serve` refuses to start without `--user` or
 * `--allow-root`: tests that are not about privileges say `--allow-root`.
 */
export function asTestUser(args: readonly string[]): string[] {
  const [command, ...rest] = args;
  const asRoot = process.getuid?.() === 0;
  if (command !== 'serve' || !asRoot || rest.includes('--user') || rest.includes('--help')) {
    return [...args];
  }
  return [command, '--allow-root', ...rest];
}

export interface SpawnOptions {
  readonly cwd?: string;
  /** Another entry point than this tree's bin/ebb (e.g. an installed package's /usr/bin/ebb). */
  readonly bin?: string;
  /**
   * A command that ends by exec-ing ebb (same pid), given ebb's path and arguments after it:
   * e.g. `['sh', '-c', 'ulimit -n 128; exec "$0" "$@"']`, or `unshare -n` for a network namespace.
   */
  readonly via?: readonly string[];
}

/** Spawns `ebb ARGS...` (any subcommand) without waiting for anything. */
export function spawnEbb(args: readonly string[], options: SpawnOptions = {}): EbbProcess {
  const bin = options.bin ?? EBB_BIN;
  const [command = bin, ...prefix] = options.via ?? [];
  const ebbArgs = asTestUser(args);
  const argv = options.via === undefined ? ebbArgs : [...prefix, bin, ...ebbArgs];
  const child = spawn(command, argv, {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('ebb did not start');
  running.add(child);
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    child,
    pid: child.pid,
    stdout: new LineFollower(child.stdout),
    stderr: new LineFollower(child.stderr),
    exited,
  };
}

export interface EbbServer extends EbbProcess {
  /** Ports of the public listeners, in the order ebb printed them. */
  readonly ports: number[];
  readonly port: number;
}

/**
 * Starts `ebb serve ARGS...` and resolves once it says it is serving. Pass `--listen
 * 127.0.0.1:0` to get a free port; ebb prints `listening on HOST:PORT` for each listener.
 */
export async function startEbb(
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<EbbServer> {
  const proc = spawnEbb(['serve', ...args], options);
  const ready = proc.stderr.waitFor(/\bserving\b/);
  const failed = proc.exited.then((exit) => {
    throw new Error(`ebb exited (${JSON.stringify(exit)}) before serving:\n${proc.stderr.text()}`);
  });
  await Promise.race([ready, failed]);
  const ports = proc.stderr.lines
    .map((line) => /listening on .*:(\d+)(?: \(TLS\))?$/.exec(line)?.[1])
    .filter((p): p is string => p !== undefined)
    .map(Number);
  return { ...proc, ports, port: ports[0] ?? 0 };
}

/** Kills every ebb this process started that is still running (use in `after`). */
export async function stopAll(): Promise<void> {
  const waits = [...running].map(async (child) => {
    if (child.pid !== undefined) child.kill('SIGKILL');
    await once(child, 'exit').catch(() => undefined);
  });
  await Promise.all(waits);
}

/**
 * Pids of processes a test did not spawn itself (the new ebb an upgrade starts): each is killed
 * by pid when the test file ends, whatever state it is in.
 */
export function pidsKilledAfter(): Set<number> {
  const pids = new Set<number>();
  after(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  return pids;
}
