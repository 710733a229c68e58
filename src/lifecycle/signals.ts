/**
 * Signals, mapped as DESIGN.md's table says. A handler only forwards to the lifecycle; the
 * lifecycle decides (a second SIGINT during a drain reports progress, it does not escalate).
 */

export interface SignalActions {
  drain(signal: 'SIGINT' | 'SIGQUIT'): void;
  stop(signal: 'SIGTERM'): void;
  /** nginx's SIGHUP, and what systemd's ExecReload sends. */
  reload(signal: 'SIGHUP'): void;
  reopenLogs(signal: 'SIGUSR1'): void;
  upgrade(signal: 'SIGUSR2'): void;
}

export function installSignalHandlers(actions: SignalActions): () => void {
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGINT', () => actions.drain('SIGINT')],
    ['SIGQUIT', () => actions.drain('SIGQUIT')],
    ['SIGTERM', () => actions.stop('SIGTERM')],
    ['SIGHUP', () => actions.reload('SIGHUP')],
    ['SIGUSR1', () => actions.reopenLogs('SIGUSR1')],
    // Node's default for SIGUSR2 would end the process: an upgrade signal must never do that.
    ['SIGUSR2', () => actions.upgrade('SIGUSR2')],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
