/**
 * Runs `ss` for the sampler through one long-lived shell, which starts each `ss` itself: ebb
 * forks once, not once a second. A fork copies the page tables of the process that forks, and
 * ebb holding 5,000 downloads (600 MB resident) paid 25 ms of its own CPU per spawn, the event
 * loop stopped meanwhile; the shell is a few hundred KiB. Measured per read of 5,000 sockets:
 * ss itself about 20 ms of CPU, ebb about 3 ms (parsing the output as it streams).
 *
 * The shell reads one filter a line from stdin, runs `ss … "$filter"` (a single argument, never
 * parsed by the shell) and prints an end line with its exit status. One read at a time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { SsLineSplitter, ssArguments } from './ss-tcp.js';
import type { SocketSelection, TcpQueueSink } from './tcp-table.js';

/** `ss` did not give a whole answer: why, for the reader that falls back to /proc. */
export interface SsFailure {
  readonly code: 'SPAWN' | 'EXIT' | 'TIMEOUT' | 'OUTPUT' | 'ENDED';
  readonly message: string;
}

/** Far above a read of 100,000 sockets; past it the shell is killed and /proc read instead. */
export const SS_TIMEOUT_MS = 10_000;
const MAX_STDERR_BYTES = 1024;
const END_MARK = 'ebb-ss-end ';
const SCRIPT = `while IFS= read -r filter; do "$0" "$@" "$filter"; echo "${END_MARK}$?"; done`;

interface PendingRead {
  readonly lines: SsLineSplitter;
  readonly finish: (failure: SsFailure | null) => void;
}

export class SsSession {
  private child: ChildProcess | null = null;
  private pending: PendingRead | null = null;
  private stderr = '';

  constructor(private readonly command = 'ss') {}

  /** Hands each selected socket to `sink`; resolves with null, or why the answer is not whole. */
  read(selection: SocketSelection, sink: TcpQueueSink): Promise<SsFailure | null> {
    if (selection.localPorts.size === 0 || selection.peerPorts?.size === 0) {
      return Promise.resolve(null);
    }
    if (this.pending !== null) {
      return Promise.resolve({ code: 'SPAWN', message: 'ss is already being read' });
    }
    const args = ssArguments(selection);
    const filter = args.pop() ?? '';
    const child = this.child ?? this.start(args);
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => this.fail({ code: 'TIMEOUT', message: `ss ran longer than ${SS_TIMEOUT_MS} ms` }),
        SS_TIMEOUT_MS,
      ).unref();
      const finish = (failure: SsFailure | null) => {
        clearTimeout(timer);
        this.pending = null;
        resolve(failure);
      };
      const lines = new SsLineSplitter(sink, END_MARK, (status) =>
        finish(status === 0 ? null : { code: 'EXIT', message: this.exitMessage(status) }),
      );
      this.pending = { lines, finish };
      this.stderr = '';
      child.stdin?.write(`${filter}\n`);
    });
  }

  /** The shell's pid while it runs (its CPU, and the `ss` it reaped, is what reads cost). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Ends the shell (the sampler stopped). */
  close(): void {
    this.fail({ code: 'ENDED', message: 'ss session closed' });
  }

  private start(args: readonly string[]): ChildProcess {
    const child = spawn('/bin/sh', ['-c', SCRIPT, this.command, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    // Never what keeps ebb running: once its loop is done, the shell reads EOF and exits.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
    child.stdin?.on('error', () => undefined); // the shell gone: 'exit' says so
    child.stdout?.setEncoding('latin1');
    child.stdout?.on('data', (chunk: string) => {
      if (this.child !== child) return; // a shell given up on
      if (this.pending?.lines.push(chunk) === false) {
        this.fail({ code: 'OUTPUT', message: 'ss printed a line too long' });
      }
    });
    child.stderr?.setEncoding('latin1');
    child.stderr?.on('data', (chunk: string) => {
      if (this.child === child && this.stderr.length < MAX_STDERR_BYTES)
        this.stderr += chunk.slice(0, MAX_STDERR_BYTES);
    });
    child.on('error', (error) => {
      if (this.child === child) this.fail({ code: 'SPAWN', message: error.message });
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return; // given up on: its read already answered
      this.child = null;
      this.pending?.finish({ code: 'ENDED', message: `ss shell exited ${code ?? signal}` });
    });
    return child;
  }

  /** Gives up on the read under way, if any, and on the shell. */
  private fail(failure: SsFailure): void {
    const child = this.child;
    this.child = null;
    child?.kill('SIGKILL');
    this.pending?.finish(failure);
  }

  private exitMessage(status: number): string {
    const said = this.stderr.trim();
    return `${this.command} exited ${status}${said === '' ? '' : `: ${said}`}`;
  }
}
