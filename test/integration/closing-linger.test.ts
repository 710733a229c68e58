/**
 * After a reply that closes the connection, ebb does not hold the descriptor for the write-idle
 * timeout (360 s) waiting for a client that never closes: once the client has acknowledged
 * every byte (or at once for an error reply) it lingers a few seconds, reading and discarding,
 * then closes (issue 12 item 3; nginx's lingering_close). 300 such clients that keep their
 * sockets open must leave ebb back at its baseline descriptors within seconds.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { parseResponses } from '../helpers/raw-http.js';
import { startWithAdmin } from '../helpers/live-server.js';
import { readServerEvents } from '../../src/cli/server-events.js';
import type { FeedStatus } from '../../src/admin/snapshot-feed.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
await writeRandomFile(root.path, 'small.bin', 3000);

/** Requests whose reply closes the connection, with the status each gets. */
const CLOSING: ReadonlyArray<readonly [request: string, status: number]> = [
  ['GET /small.bin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 200],
  ['GET /small.bin HTTP/1.0\r\n\r\n', 200],
  ['GET /small.bin HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc', 200],
  ['BREW /small.bin HTTP/1.1\r\nHost: a\r\n\r\n', 405],
  ['GET /small.bin HTTP/1.1\r\n\r\n', 400],
  ['GET /small.bin HTTP/2.0\r\nHost: a\r\n\r\n', 505],
];
const CLIENTS = 300;

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Sends one request and resolves with the reply's status once all of it has arrived. */
async function askAndHold(port: number, text: string): Promise<{ socket: Socket; status: number }> {
  // allowHalfOpen: the client does not answer ebb's FIN with its own (it never closes).
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await once(socket, 'connect');
  let data = Buffer.alloc(0);
  const method = text.startsWith('HEAD') ? 'HEAD' : 'GET';
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const [response] = parseResponses(data, [method]).responses;
      if (response !== undefined) resolve({ socket, status: response.status });
    });
    socket.once('error', reject);
    socket.write(text);
  });
}

/**
 * The admin feed's status events, until one after `sinceMs` says no connection is open and
 * `settled()` holds (the progress sampler's `ss` shell ends at its next tick once nothing is in
 * flight, so its pipes may outlive the last connection by one tick).
 */
async function untilNoConnections(
  events: IncomingMessage,
  sinceMs: number,
  settled: () => boolean,
): Promise<void> {
  for await (const event of readServerEvents(events)) {
    if (event.event !== 'status') continue;
    const { status } = JSON.parse(event.data) as FeedStatus;
    if (Date.parse(status.now) > sinceMs && status.counters.connections === 0 && settled()) return;
  }
  throw new Error('the events stream ended');
}

test(
  '300 clients that keep their sockets open after a closing reply: fds back to baseline in seconds',
  { timeout: 30_000 },
  async (t) => {
    const { server, adminPort } = await startWithAdmin(root.path);
    const events = request({ host: '127.0.0.1', port: adminPort, path: '/events' });
    events.end();
    const [response] = (await once(events, 'response')) as [IncomingMessage];
    t.after(() => response.destroy());
    const baselineFds = openFds(server.pid);

    const held = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) => {
        const [text, status] = CLOSING[i % CLOSING.length] ?? CLOSING[0]!;
        return askAndHold(server.port, text).then((reply) => ({ ...reply, expected: status }));
      }),
    );
    t.after(() => held.forEach(({ socket }) => socket.destroy()));
    for (const reply of held) assert.equal(reply.status, reply.expected);
    const peakFds = openFds(server.pid);
    assert.ok(peakFds >= baselineFds + CLIENTS / 2, `${peakFds} fds with ${CLIENTS} clients held`);

    const startedMs = Date.now();
    await untilNoConnections(
      response,
      startedMs,
      () => openFds(server.pid) <= baselineFds + 2 || Date.now() - startedMs > 20_000,
    );
    const elapsedMs = Date.now() - startedMs;
    const afterFds = openFds(server.pid);
    t.diagnostic(
      `fds: baseline ${baselineFds}, peak ${peakFds}, after ${afterFds} (${elapsedMs} ms)`,
    );
    // A couple of descriptors of slack: the progress sampler may be reading /proc/net/tcp{,6}.
    assert.ok(afterFds <= baselineFds + 2, `back to ${afterFds} fds, baseline ${baselineFds}`);
    assert.ok(elapsedMs < 20_000, `took ${elapsedMs} ms`);
    // The clients never closed: ebb did.
    assert.ok(held.every(({ socket }) => !socket.destroyed));
  },
);
