/**
 * A connected pair of TCP sockets on 127.0.0.1 for unit tests of the wire: `server` is the
 * accepted end (allowHalfOpen, as the public listeners accept), `client` the connecting end.
 * Both are destroyed and the listener closed by `close()`.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface LoopbackPair {
  readonly server: Socket;
  readonly client: Socket;
  close(): Promise<void>;
}

export async function openLoopbackPair(): Promise<LoopbackPair> {
  const listener = createServer({ allowHalfOpen: true });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const client = connect({ host: '127.0.0.1', port: address.port, allowHalfOpen: true });
  client.on('error', () => undefined);
  const [[server]] = await Promise.all([accepted, once(client, 'connect')]);
  listener.close();
  return {
    server,
    client,
    async close() {
      server.destroy();
      client.destroy();
      if (listener.listening) await once(listener, 'close');
    },
  };
}
