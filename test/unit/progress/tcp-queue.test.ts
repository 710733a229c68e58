/**
 * The reader of unacknowledged bytes on real loopback sockets: `ss` and /proc/net/tcp agree,
 * only the wanted local ports come back, and a missing or failing `ss` falls back to /proc.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProcNetTcp } from '../../../src/progress/proc-net-tcp.js';
import { tcpKey } from '../../../src/progress/tcp-key.js';
import { TcpQueueReader } from '../../../src/progress/tcp-queue.js';

const hasSs = spawnSync('ss', ['-V']).status === 0;
const onPort = (port: number) => ({ localPorts: new Set([port]), peerPorts: null });

/** A server end with megabytes its paused client has not taken: a steady unacknowledged count. */
async function heldConnection(
  t: TestContext,
  host: string,
): Promise<{ server: Socket; port: number }> {
  const server = createServer();
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const client = connect(address.port, host);
  client.pause();
  const [end] = await accepted;
  t.after(() => {
    client.destroy();
    end.destroy();
    server.close();
  });
  // Until the kernel stops taking more: the client's receive buffer and our send buffer full.
  while (end.write(Buffer.alloc(1 << 20))) await new Promise((done) => setImmediate(done));
  await new Promise((done) => setTimeout(done, 100));
  return { server: end, port: address.port };
}

for (const host of ['127.0.0.1', '::1']) {
  test(`ss and /proc/net/tcp agree on a held connection (${host})`, { skip: !hasSs }, async (t) => {
    const { server, port } = await heldConnection(t, host);
    const reader = new TcpQueueReader();
    t.after(() => reader.close());
    const fromSs = (await reader.readSendQueues(onPort(port))) ?? new Map<string, number>();
    assert.equal(reader.source.kind, 'ss');
    const fromProc = new Map<string, number>();
    await readProcNetTcp(onPort(port), (key, send) => fromProc.set(key, send));
    const key = tcpKey(server);
    assert.ok((fromSs.get(key) ?? 0) > 0, `unacknowledged bytes of ${key}`);
    assert.equal(fromSs.get(key), fromProc.get(key));
    // Only sockets on the wanted local port: never the client end, whose local port is another
    // one. (A socket of another process may hold the same port number in the other family.)
    const portHex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
    for (const listed of fromSs.keys()) assert.ok(listed.includes(portHex), listed);
    assert.equal(
      [...fromSs.keys()].filter((listed) => listed.startsWith(key.split(' ')[0] ?? '')).length,
      1,
    );
  });
}

// An `ss` that prints one endless line: not the format parsed.
const scratch = await mkdtemp(join(tmpdir(), 'ebb-fake-ss-'));
const garbling = join(scratch, 'ss');
await writeFile(garbling, "#!/bin/sh\nhead -c 100000 /dev/zero | tr '\\0' x\n");
await chmod(garbling, 0o755);
after(() => rm(scratch, { recursive: true, force: true }));

const FAILING: ReadonlyArray<{
  readonly name: string;
  readonly command: string;
  readonly code: string;
}> = [
  { name: 'no ss on the system', command: '/nonexistent/ss', code: 'EXIT' },
  { name: 'ss exits non-zero', command: 'false', code: 'EXIT' },
  { name: 'ss prints what is not its format', command: garbling, code: 'OUTPUT' },
];

for (const c of FAILING) {
  test(`${c.name}: /proc is read instead, from then on`, async (t) => {
    const { server, port } = await heldConnection(t, '127.0.0.1');
    const reader = new TcpQueueReader(c.command);
    t.after(() => reader.close());
    const queues = (await reader.readSendQueues(onPort(port))) ?? new Map<string, number>();
    assert.equal(reader.source.kind, 'proc');
    assert.equal(reader.source.kind === 'proc' ? reader.source.why.code : '', c.code);
    assert.ok((queues.get(tcpKey(server)) ?? 0) > 0);
  });
}

test('no port wanted: nothing is read', async () => {
  const reader = new TcpQueueReader('/nonexistent/ss');
  const none = { localPorts: new Set<number>(), peerPorts: null };
  assert.equal((await reader.readSendQueues(none))?.size, 0);
  assert.equal(reader.source.kind, 'ss');
});

test(
  'one shell answers read after read, and starts again after close',
  { skip: !hasSs },
  async (t) => {
    const { server, port } = await heldConnection(t, '127.0.0.1');
    const reader = new TcpQueueReader();
    t.after(() => reader.close());
    for (let i = 0; i < 3; i++) {
      const queues = await reader.readSendQueues(onPort(port));
      assert.ok((queues?.get(tcpKey(server)) ?? 0) > 0);
    }
    reader.close();
    assert.ok(((await reader.readSendQueues(onPort(port)))?.get(tcpKey(server)) ?? 0) > 0);
    assert.equal(reader.source.kind, 'ss');
  },
);
