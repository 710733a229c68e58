/**
 * What the status page costs the server: ebb holding N slow downloads, its CPU share (utime +
 * stime from /proc/PID/stat) over a window with nobody watching, then with one viewer on
 * `GET /events` (what a browser tab on the page does to the server), then with nobody again
 * (the feed's timer must have stopped).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/status-page-cost.js \
 *     [--connections 1000] [--window 30] [--rounds 2] [--clients stalled|trickle]
 *
 * Windows alternate (nobody, viewer, nobody, viewer, …, nobody) so a drifting baseline does not
 * pass for the page's cost. Clients either trickle (each reads one chunk every 20 s: every
 * download in flight with a rate, but the server's own sending adds noise) or stall after the
 * head (every download in flight, the server otherwise quiet: the page's cost stands alone).
 * Both stay under the default 360 s write-idle timeout for the default run length.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnWithFdLimit, stopChild } from './children.js';
import { cpuSeconds } from './proc-stats.js';
import { EBB_MAIN } from './servers.js';
import { HOST } from './ports.js';

const FILE_BYTES = 4 * 1024 * 1024 * 1024;
const TRICKLE_INTERVAL_MS = 20_000;
const SETTLE_MS = 15_000;

type ClientMode = 'stalled' | 'trickle';

interface Options {
  readonly connections: number;
  readonly windowS: number;
  readonly rounds: number;
  readonly clients: ClientMode;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '1000' },
      window: { type: 'string', default: '30' },
      rounds: { type: 'string', default: '2' },
      clients: { type: 'string', default: 'stalled' },
    },
  });
  if (values.clients !== 'stalled' && values.clients !== 'trickle') {
    throw new Error(`--clients ${values.clients}: expected stalled or trickle`);
  }
  return {
    connections: Number(values.connections),
    windowS: Number(values.window),
    rounds: Number(values.rounds),
    clients: values.clients,
  };
}

async function startEbb(root: string, fdLimit: number) {
  const child = spawnWithFdLimit(
    [
      process.execPath,
      EBB_MAIN,
      'serve',
      '--allow-root', // the bench runs as root (CI); ebb refuses root otherwise (issue 10)
      '--listen',
      `${HOST}:0`,
      '--admin',
      `${HOST}:0`,
      '--access-log',
      'off',
      root,
    ],
    fdLimit,
  );
  let port = 0;
  let adminPort = 0;
  for await (const line of createInterface({ input: child.stderr! })) {
    port ||= Number(/listening on [\d.]+:(\d+)/.exec(line)?.[1] ?? 0);
    adminPort ||= Number(/admin on [\d.]+:(\d+)/.exec(line)?.[1] ?? 0);
    if (/serving/.test(line)) break;
  }
  if (port === 0 || adminPort === 0 || child.pid === undefined)
    throw new Error('ebb did not start');
  return { child, pid: child.pid, port, adminPort };
}

/** A download that reads a chunk then waits, over and over; or, stalled, reads only the first. */
async function slowDownload(port: number, mode: ClientMode, phaseMs: number): Promise<Socket> {
  const socket = connect({ port, host: HOST });
  await once(socket, 'connect');
  socket.on('error', () => undefined);
  socket.write(`GET /big.bin HTTP/1.1\r\nHost: bench\r\n\r\n`);
  socket.on('data', () => {
    socket.pause();
    if (mode === 'trickle')
      setTimeout(() => socket.resume(), TRICKLE_INTERVAL_MS + phaseMs).unref();
  });
  return socket;
}

/** One viewer on the events stream; returns how many bytes it has received so far. */
function watchEvents(adminPort: number): { bytes: () => number; stop: () => void } {
  let bytes = 0;
  const req = request({ host: HOST, port: adminPort, path: '/events' }, (response) => {
    response.on('data', (chunk: Buffer) => (bytes += chunk.length));
  });
  req.on('error', () => undefined);
  req.end();
  return { bytes: () => bytes, stop: () => req.destroy() };
}

async function cpuPercentOver(pid: number, windowS: number): Promise<number> {
  const before = cpuSeconds(pid);
  await sleep(windowS * 1000);
  return ((cpuSeconds(pid) - before) / windowS) * 100;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const root = await mkdtemp(join(tmpdir(), 'ebb-page-cost-'));
  const file = await open(join(root, 'big.bin'), 'w');
  await file.truncate(FILE_BYTES); // sparse: the bytes are zeros, the sizes are real
  await file.close();
  const server = await startEbb(root, options.connections + 1024);
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < options.connections; i++) {
      sockets.push(await slowDownload(server.port, options.clients, (i * 37) % 1000));
    }
    console.log(
      `${options.connections} ${options.clients} downloads open (pid ${server.pid}); settling ${SETTLE_MS / 1000} s`,
    );
    await sleep(SETTLE_MS);
    const unwatched: number[] = [];
    const watched: number[] = [];
    let streamBytesPerS = 0;
    for (let round = 0; round < options.rounds; round++) {
      unwatched.push(await cpuPercentOver(server.pid, options.windowS));
      console.log(`no viewer:  ${unwatched.at(-1)?.toFixed(2)} % CPU over ${options.windowS} s`);
      const viewer = watchEvents(server.adminPort);
      await sleep(2000);
      const bytesBefore = viewer.bytes();
      watched.push(await cpuPercentOver(server.pid, options.windowS));
      streamBytesPerS = (viewer.bytes() - bytesBefore) / options.windowS;
      viewer.stop();
      console.log(
        `one viewer: ${watched.at(-1)?.toFixed(2)} % CPU over ${options.windowS} s ` +
          `(events stream ${(streamBytesPerS / 1024).toFixed(1)} KiB/s)`,
      );
      await sleep(2000);
    }
    unwatched.push(await cpuPercentOver(server.pid, options.windowS));
    console.log(`no viewer:  ${unwatched.at(-1)?.toFixed(2)} % CPU over ${options.windowS} s`);
    console.log(
      `mean: ${mean(unwatched).toFixed(2)} % unwatched, ${mean(watched).toFixed(2)} % with one viewer: ` +
        `the page costs ${(mean(watched) - mean(unwatched)).toFixed(2)} percentage points of one core ` +
        `with ${options.connections} ${options.clients} downloads`,
    );
  } finally {
    for (const socket of sockets) socket.destroy();
    await stopChild(server.child);
    await rm(root, { recursive: true, force: true });
  }
}

await main();
