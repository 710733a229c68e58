/**
 * Stand-ins for what systemd gives ebb, on a machine where systemd is not PID 1: a NOTIFY_SOCKET
 * that records every message, a holder of listening sockets that keeps its own copy (like
 * systemd), and `systemd-socket-activate`, the tool systemd ships for this.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { EBB_BIN, LineFollower, asTestUser, type Exit } from './ebb-process.js';

/** contrib/systemd, where the units live. */
export const UNITS = fileURLToPath(new URL('../../../contrib/systemd/', import.meta.url));

const STUB = fileURLToPath(new URL('../../../test/helpers/systemd-stub.py', import.meta.url));

const children = new Set<ChildProcess>();

/** Kills every helper process this file started (use in `after`). */
export async function stopStubs(): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit').catch(() => undefined);
      }
    }),
  );
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export interface NotifyReceiver {
  readonly path: string;
  /** Every message received so far, in order. */
  readonly messages: string[];
  /** Resolves with the first message (seen or future) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** A Unix datagram socket at DIR/notify.sock for NOTIFY_SOCKET, recording what arrives. */
export async function startNotifyReceiver(dir: string): Promise<NotifyReceiver> {
  const path = join(dir, 'notify.sock');
  const child = track(
    spawn('python3', [STUB, 'notify', path], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  const messages: string[] = [];
  let waiters: Array<{ pattern: RegExp; resolve: (message: string) => void }> = [];
  const bound = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const value = JSON.parse(line) as { bound?: string; message?: string };
      if (value.bound !== undefined) resolve();
      if (value.message === undefined) return;
      const message = value.message;
      messages.push(message);
      waiters = waiters.filter((w) => !(w.pattern.test(message) && (w.resolve(message), true)));
    });
  });
  const failed = once(child, 'exit').then(() => {
    throw new Error('the NOTIFY_SOCKET stand-in exited before binding');
  });
  await Promise.race([bound, failed]);
  return {
    path,
    messages,
    waitFor(pattern, timeoutMs = 15_000) {
      const seen = messages.find((message) => pattern.test(message));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no notification matching ${pattern}: ${JSON.stringify(messages)}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (message) => {
            clearTimeout(timer);
            resolve(message);
          },
        });
      });
    },
  };
}

/** A TCP port that was free a moment ago (systemd-socket-activate wants a fixed one). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  return typeof address === 'object' && address !== null ? address.port : 0;
}

export interface ActivatedEbb {
  readonly pid: number;
  readonly stderr: LineFollower;
  readonly exited: Promise<Exit>;
}

function follow(child: ChildProcess): ActivatedEbb {
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { pid: child.pid ?? 0, stderr: new LineFollower(child.stderr!), exited };
}

/**
 * `systemd-socket-activate -l 127.0.0.1:PORT --fdname=NAMES -E … bin/ebb ARGS…`: it execs ebb
 * (same pid) on the first connection to PORT. Resolves once it listens.
 */
export async function socketActivate(
  port: number,
  fdnames: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<ActivatedEbb> {
  const setenv = Object.keys(env).flatMap((name) => ['-E', name]);
  const child = track(
    spawn(
      'systemd-socket-activate',
      ['-l', `127.0.0.1:${port}`, `--fdname=${fdnames}`, ...setenv, EBB_BIN, ...asTestUser(args)],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    ),
  );
  const ebb = follow(child);
  await ebb.stderr.waitFor(/^Listening on /);
  return ebb;
}

export interface HeldListeners extends ActivatedEbb {
  readonly ports: readonly number[];
}

/** ebb on listeners a stand-in for systemd made and keeps open (`systemd-stub.py listen`). */
export async function startOnHeldListeners(
  names: readonly string[],
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<HeldListeners> {
  const child = track(
    spawn('python3', [STUB, 'listen', names.join(':'), '--', EBB_BIN, ...asTestUser(args)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const stdout = new LineFollower(child.stdout!);
  const started = JSON.parse(await stdout.waitFor(/"pid"/)) as { pid: number; ports: number[] };
  const stub = follow(child);
  const exited = stdout
    .waitFor(/"exit"/, 600_000)
    .then((line) => ({ code: (JSON.parse(line) as { exit: number }).exit, signal: null }))
    .catch(() => stub.exited);
  return { pid: started.pid, ports: started.ports, stderr: stub.stderr, exited };
}

/** Copies of the units (ebb@.service also as instance ebb@mirror) with /usr/bin/ebb → `bin`. */
export async function unitCopies(dir: string, bin: string): Promise<string[]> {
  const names = ['ebb.service', 'ebb.socket', 'ebb@.service'];
  const paths: string[] = [];
  for (const name of names) {
    const text = (await readFile(join(UNITS, name), 'utf8')).replaceAll('/usr/bin/ebb', bin);
    const target = join(dir, name === 'ebb@.service' ? 'ebb@mirror.service' : name);
    await writeFile(target, text);
    paths.push(target);
  }
  return paths;
}
