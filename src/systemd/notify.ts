/**
 * Notifications to the service manager (sd_notify(3)): `READY=1`, `STOPPING=1`, `STATUS=…`,
 * `EXTEND_TIMEOUT_USEC=…`, sent only when `NOTIFY_SOCKET` is set.
 *
 * Node has no Unix datagram sockets, so each message is one run of systemd's own sender,
 * `systemd-notify VAR=VALUE…`, which waits (sd_notify_barrier) until the manager has taken the
 * message: a sender that exited first could not be attributed to the unit. The unit therefore
 * says `NotifyAccess=all` (the sender is ebb's child, not ebb). One run at a time: what is asked
 * meanwhile is merged key by key (a newer STATUS replaces an older one), so a slow manager costs
 * one pending message, never a queue. A failure is reported once and never stops serving.
 */
import { spawn } from 'node:child_process';

export type NotifyFields = Readonly<Record<string, string>>;

export interface Notifier {
  /** Hands `fields` to the manager soon; never throws, never waits. */
  notify(fields: NotifyFields): void;
  /** Resolves once nothing is pending or in flight, or after `waitMs` at the latest. */
  flush(waitMs: number): Promise<void>;
}

export interface NotifierOptions {
  /** The sender to run; `systemd-notify` from PATH unless a test says otherwise. */
  readonly command?: string;
  /** A sender that takes longer is killed (systemd-notify's own barrier wait is 5 s). */
  readonly timeoutMs?: number;
}

const STDERR_LIMIT_BYTES = 512;

/** A notifier for `env`'s NOTIFY_SOCKET; null when it is not set (nothing to notify). */
export function createNotifier(
  env: Readonly<Record<string, string | undefined>>,
  say: (line: string) => void,
  options: NotifierOptions = {},
): Notifier | null {
  const socket = env['NOTIFY_SOCKET'];
  if (socket === undefined || socket === '') return null;
  return new SystemdNotify(socket, say, options.command ?? 'systemd-notify', {
    ...options,
    env,
  });
}

/** `STATUS=a\nb` would end the variable at the newline: one line per value. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

class SystemdNotify implements Notifier {
  private pending: Map<string, string> | null = null;
  private running = false;
  private lastFailure: string | null = null;
  private idleWaiters: Array<() => void> = [];
  private readonly timeoutMs: number;
  private readonly env: Readonly<Record<string, string | undefined>>;

  constructor(
    private readonly socket: string,
    private readonly say: (line: string) => void,
    private readonly command: string,
    options: NotifierOptions & { env: Readonly<Record<string, string | undefined>> },
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.env = options.env;
  }

  notify(fields: NotifyFields): void {
    this.pending ??= new Map();
    for (const [key, value] of Object.entries(fields)) this.pending.set(key, oneLine(value));
    this.pump();
  }

  flush(waitMs: number): Promise<void> {
    if (!this.running && this.pending === null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private pump(): void {
    if (this.running) return;
    const fields = this.pending;
    this.pending = null;
    if (fields === null) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
      return;
    }
    this.running = true;
    void this.send(fields).then(() => {
      this.running = false;
      this.pump();
    });
  }

  /** One run of the sender; resolves (never rejects) when it has ended, however it ended. */
  private send(fields: ReadonlyMap<string, string>): Promise<void> {
    const args = [...fields].map(([key, value]) => `${key}=${value}`);
    return new Promise((resolve) => {
      let stderr = '';
      let settled = false;
      const done = (failure: string | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.report(failure);
        resolve();
      };
      const child = spawn(this.command, args, {
        env: this.env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done(`${this.command} did not finish within ${this.timeoutMs} ms`);
      }, this.timeoutMs);
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        if (stderr.length < STDERR_LIMIT_BYTES) stderr += chunk.slice(0, STDERR_LIMIT_BYTES);
      });
      child.once('error', (error: NodeJS.ErrnoException) =>
        done(error.code === 'ENOENT' ? `${this.command} is not installed` : error.message),
      );
      child.once('close', (code, signal) => {
        if (code === 0) done(null);
        else {
          const why = stderr.trim().split('\n')[0] ?? '';
          done(`${this.command} exited ${code ?? signal ?? '?'}${why === '' ? '' : `: ${why}`}`);
        }
      });
    });
  }

  /** Each new kind of failure once (a manager that is gone would fail every message). */
  private report(failure: string | null): void {
    if (failure === null || failure === this.lastFailure) {
      if (failure === null && this.lastFailure !== null) {
        this.say(`notifying systemd works again (NOTIFY_SOCKET=${this.socket})`);
      }
      this.lastFailure = failure;
      return;
    }
    this.lastFailure = failure;
    this.say(`cannot notify systemd (NOTIFY_SOCKET=${this.socket}): ${failure}; serving on`);
  }
}
