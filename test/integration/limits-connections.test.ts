/**
 * Connection caps against the real server, on a plain and a TLS listener: 100 connections from
 * one address under --max-connections-per-ip 10, and --max-connections across addresses. A
 * connection beyond a cap is answered 503 with Retry-After and closed, never silently dropped.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { readResponse, requestText, type Transport } from '../helpers/http-client.js';
import { listenerVariants } from '../helpers/listener-variants.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const small = await writeRandomFile(root.path, 'small.bin', 4096);
const { variants, remove } = await listenerVariants();
after(remove);

/** A connection from `localAddress` (any of 127.0.0.0/8 reaches the loopback listener). */
async function open(port: number, transport: Transport, localAddress: string): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  await once(socket, 'connect');
  if (transport.kind === 'tcp') return socket;
  const secure = connectTls({ socket, ca: transport.ca });
  await once(secure, 'secureConnect');
  return secure;
}

async function get(
  socket: Socket,
): Promise<{ status: number; retryAfter?: string; closed: boolean }> {
  const response = readResponse(socket);
  socket.write(requestText(`/${small.name}`));
  const result = await response;
  const retryAfter = result.headers.get('retry-after');
  return {
    status: result.status,
    closed: result.closedByServer,
    ...(retryAfter ? { retryAfter } : {}),
  };
}

for (const { suffix, listenArgs, transport } of variants) {
  test(`--max-connections-per-ip 10: of 100 connections from one address, 90 get 503 + Retry-After and are closed; a freed slot admits again${suffix}`, async () => {
    const server = await startEbb([...listenArgs, '--max-connections-per-ip', '10', root.path]);
    const held = await Promise.all(
      Array.from({ length: 10 }, () => open(server.port, transport, '127.0.0.1')),
    );
    // Each held connection has been accepted once its first request is answered.
    for (const socket of held) assert.equal((await get(socket)).status, 200);
    const extra = await Promise.all(
      Array.from({ length: 90 }, () => open(server.port, transport, '127.0.0.1')),
    );
    const answers = await Promise.all(extra.map(get));
    assert.deepEqual(
      answers.filter((a) => a.status === 503 && a.retryAfter === '10' && a.closed).length,
      90,
      JSON.stringify(answers.slice(0, 3)),
    );
    // Another address is not held back by this one.
    const neighbour = await open(server.port, transport, '127.0.0.2');
    assert.equal((await get(neighbour)).status, 200);
    neighbour.destroy();
    const freed = held.pop();
    const closed = once(freed!, 'close');
    freed!.destroy();
    await closed;
    // The server hears of the close a moment later: a few tries, each a real request.
    let admitted = 0;
    for (let attempt = 0; attempt < 50 && admitted === 0; attempt++) {
      const again = await open(server.port, transport, '127.0.0.1');
      if ((await get(again)).status === 200) admitted++;
      again.destroy();
    }
    assert.equal(admitted, 1, 'the freed slot is given to a new connection');
    for (const socket of held) socket.destroy();
  });

  test(`--max-connections 20: the 21st connection, from any address, gets 503 + Retry-After${suffix}`, async () => {
    const server = await startEbb([...listenArgs, '--max-connections', '20', root.path]);
    const held = await Promise.all(
      Array.from({ length: 20 }, (_, i) => open(server.port, transport, `127.0.0.${(i % 5) + 1}`)),
    );
    for (const socket of held) assert.equal((await get(socket)).status, 200);
    const late = await open(server.port, transport, '127.0.0.9');
    assert.deepEqual(await get(late), { status: 503, retryAfter: '10', closed: true });
    for (const socket of held) socket.destroy();
  });
}
