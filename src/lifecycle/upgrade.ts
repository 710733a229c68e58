/**
 * The old side of an upgrade: starts the new ebb (the code now on disk, the same command line)
 * detached in its own session with the same stdio, hands it the listening sockets over the IPC
 * channel, and waits — bounded — until it says it is ready. The sockets stay open here the whole
 * time: the new process holds its own copy before this one stops accepting, so a connection
 * queued on a socket is never lost. A new process that fails, exits or hangs is stopped and the
 * failure returned; this one has not stopped accepting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:net';
import { HANDOVER_ENV, isToOldMessage, type ToNewMessage } from './handover-protocol.js';

/** How the running ebb was started, so the new one starts the same way. */
export interface LaunchCommand {
  readonly execPath: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface HandedOver {
  /** `tls`: a `--listen-tls` listener (the new ebb wraps its sockets in TLS). */
  readonly listeners: readonly {
    readonly key: string;
    readonly server: Server;
    readonly tls: boolean;
  }[];
  readonly admin: Server | null;
}

export type NewGeneration =
  | { readonly kind: 'ready'; readonly child: ChildProcess; readonly pid: number }
  | { readonly kind: 'failed'; readonly problem: string };

export const UPGRADE_READY_TIMEOUT_MS = 30_000;

function send(child: ChildProcess, message: ToNewMessage, handle?: Server): void {
  if (handle === undefined) child.send(message);
  else child.send(message, handle);
}

export function startNewGeneration(
  command: LaunchCommand,
  handedOver: HandedOver,
  readyTimeoutMs = UPGRADE_READY_TIMEOUT_MS,
): Promise<NewGeneration> {
  const child = spawn(command.execPath, [...command.args], {
    cwd: command.cwd,
    env: { ...command.env, [HANDOVER_ENV]: '1' },
    detached: true,
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve) => {
    let problem: string | null = null;
    let settled = false;
    const settle = (result: NewGeneration): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result.kind === 'failed' && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
      resolve(result);
    };
    const fail = (why: string): void => settle({ kind: 'failed', problem: why });
    const timer = setTimeout(
      () => fail(`the new ebb was not ready within ${readyTimeoutMs / 1000} s; it was stopped`),
      readyTimeoutMs,
    );
    child.once('error', (error) => fail(`cannot start the new ebb: ${error.message}`));
    child.once('exit', (code, signal) =>
      fail(problem ?? `the new ebb exited (${signal ?? `status ${code}`}) before it was ready`),
    );
    child.on('message', (message: unknown) => {
      if (!isToOldMessage(message)) return;
      switch (message.type) {
        case 'hello':
          for (const { key, server, tls } of handedOver.listeners)
            send(child, { type: 'listener', key, tls }, server);
          if (handedOver.admin !== null) send(child, { type: 'admin' }, handedOver.admin);
          send(child, { type: 'sent', oldPid: process.pid });
          break;
        case 'ready':
          // The new process outlives this one: neither its handle nor its channel holds us.
          child.unref();
          child.channel?.unref();
          settle({ kind: 'ready', child, pid: message.pid });
          break;
        case 'failed':
          problem = message.problem;
          break;
      }
    });
  });
}
