/**
 * `/status` with many connections open, against a real server: every connection is listed and
 * counted, and each stalled download's acknowledged bytes are what its client's kernel received
 * (read by the client plus still queued for it, less the head), whether ebb reads the kernel's
 * queues through `ss` or, where `ss` is missing, /proc/net/tcp. Not to the byte: ebb counts
 * what the kernel took from Node's socket figures (bytesWritten - writableLength), which are
 * off by the part of a write still in flight; the kernel's own figures agree to the byte
 * (test/unit/progress/tcp-queue.test.ts). A send buffer shown as delivered is megabytes off.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { adminFetch, adminPortOf } from '../helpers/admin.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { readProcNetTcp } from '../../src/progress/proc-net-tcp.js';
import { tcpKey } from '../../src/progress/tcp-key.js';
import type { StatusSnapshot } from '../../src/lifecycle/status.js';

after(stopAll);

/** Connections that have sent nothing yet: listed, never sampled. */
const SILENT = 400;
/** Downloads stalled after their head: both socket buffers fill, then nothing moves. */
const STALLED = 40;
/** A stalled window has no event; the figures are compared after each sample, this often. */
const SAMPLE_TRIES = 30;
/** How far ebb's figure may be from the client's: a write or two in flight. */
const TOLERANCE_BYTES = 256 * 1024;

const root = await makeTempDir();
after(root.remove);
await writeRandomFile(root.path, 'big.bin', 64 * 1024 * 1024);
// A PATH with what bin/ebb needs and no `ss`: ebb falls back to /proc/net/tcp.
const noSs = join(root.path, 'no-ss');
await mkdir(noSs);
await symlink(process.execPath, join(noSs, 'node'));
for (const tool of ['readlink', 'dirname']) await symlink(`/usr/bin/${tool}`, join(noSs, tool));

interface StalledClient {
  readonly socket: Socket;
  readonly headBytes: number;
}

const sockets: Socket[] = [];
after(() => {
  for (const socket of sockets) socket.destroy();
});

async function open(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  sockets.push(socket);
  await once(socket, 'connect');
  return socket;
}

/** GET the big file, pause once the head is in: returns the head's length. */
async function stalledDownload(port: number): Promise<StalledClient> {
  const socket = await open(port);
  let seen = Buffer.alloc(0);
  const head = new Promise<number>((resolve) => {
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const end = seen.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.pause();
      socket.off('data', onData);
      resolve(end + 4);
    };
    socket.on('data', onData);
  });
  socket.write('GET /big.bin HTTP/1.1\r\nHost: test\r\n\r\n');
  return { socket, headBytes: await head };
}

/** Body bytes each client's kernel has received, by the client's `HOST:PORT`. */
async function receivedBodyBytes(clients: readonly StalledClient[]): Promise<Map<string, number>> {
  const queued = new Map<string, number>();
  const ports = new Set(clients.map((c) => c.socket.localPort ?? 0));
  await readProcNetTcp({ localPorts: ports, peerPorts: null }, (key, _send, receive) =>
    queued.set(key, receive),
  );
  const received = new Map<string, number>();
  for (const { socket, headBytes } of clients) {
    const inKernel = queued.get(tcpKey(socket));
    if (inKernel === undefined) continue;
    received.set(`127.0.0.1:${socket.localPort}`, socket.bytesRead + inKernel - headBytes);
  }
  return received;
}

function mismatches(status: StatusSnapshot, received: Map<string, number>): string[] {
  const problems: string[] = [];
  for (const row of status.connections) {
    if (row.state !== 'responding') continue;
    const expected = received.get(row.client);
    if (expected === undefined || Math.abs(row.bytesAcked - expected) > TOLERANCE_BYTES) {
      problems.push(
        `${row.client}: acked ${row.bytesAcked} of ${row.bytesSent} sent, client has ${expected}`,
      );
    }
  }
  return problems;
}

const SOURCES = [
  { name: 'ss', via: undefined },
  { name: '/proc/net/tcp (no ss on PATH)', via: ['/usr/bin/env', `PATH=${noSs}`] },
] as const;

for (const source of SOURCES) {
  test(`/status with ${SILENT + STALLED} connections, progress from ${source.name}`, async () => {
    const server = await startEbb(
      [
        '--listen',
        '127.0.0.1:0',
        '--admin',
        '127.0.0.1:0',
        '--access-log',
        'off',
        '--header-timeout',
        '300s',
        root.path,
      ],
      source.via === undefined ? {} : { via: source.via },
    );
    const adminPort = adminPortOf(server.stderr.lines);
    for (let i = 0; i < SILENT; i++) await open(server.port);
    const clients: StalledClient[] = [];
    for (let i = 0; i < STALLED; i++) clients.push(await stalledDownload(server.port));

    let status: StatusSnapshot | null = null;
    let problems: string[] = ['no sample yet'];
    for (let tries = 0; tries < SAMPLE_TRIES && problems.length > 0; tries++) {
      if (tries > 0) await sleep(1000); // the sampler's interval: a new sample each time
      const response = await adminFetch(adminPort, 'GET', '/status');
      assert.equal(response.status, 200);
      status = JSON.parse(response.body) as StatusSnapshot;
      problems = mismatches(status, await receivedBodyBytes(clients));
    }
    assert.ok(status !== null);
    assert.equal(status.counters.connections, SILENT + STALLED);
    assert.equal(status.counters.byState.responding, STALLED);
    assert.equal(status.counters.downloadsInFlight, STALLED);
    assert.equal(status.connections.length, SILENT + STALLED);
    assert.equal(status.connectionsOmitted, 0);
    assert.deepEqual(problems, []);
    server.child.kill('SIGTERM');
    await server.exited;
  });
}
