/** Free loopback ports, and waiting until a server accepts on one. */
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

export const HOST = '127.0.0.1';

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function accepts(port: number): Promise<boolean> {
  const socket = connect(port, HOST);
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

/**
 * Resolves once `port` accepts a connection. Third-party servers announce nothing, so this
 * probes every 50 ms; `hasFailed` stops it early when the process is gone.
 */
export async function waitForPort(
  port: number,
  hasFailed: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasFailed()) throw new Error(`the server for port ${port} exited`);
    if (await accepts(port)) return;
    await sleep(50);
  }
  throw new Error(`nothing accepted on ${HOST}:${port} within ${timeoutMs} ms`);
}
