/**
 * Bounded replays of the hostile inputs of issue 12, shared by the integration tests and
 * `npm run bench:abuse` (which runs them longer, against ebb and nginx side by side). Each runs
 * for a fixed time or count and closes every socket it opened.
 */
import { connect } from 'node:net';
import { Worker } from 'node:worker_threads';
import { download } from './http-client.js';
import { exchange } from './raw-http.js';

/** What one flooding client saw: how many connections it made and how each one ended. */
export interface FloodReport {
  readonly connections: number;
  readonly bytesSent: number;
  /** Connections the server answered (first bytes of a status line) before closing. */
  readonly answered: number;
}

const FLOOD_CHUNK = Buffer.from('\r\n'.repeat(32768), 'latin1');

/**
 * One client writing `\r\n` × 32768 per write, a write per turn of its event loop (or per
 * 'drain'), until the server answers or closes; then it reconnects, until `untilMs`.
 */
export async function floodEmptyLines(port: number, untilMs: number): Promise<FloodReport> {
  let connections = 0;
  let bytesSent = 0;
  let answered = 0;
  while (Date.now() < untilMs) {
    connections += 1;
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    let gotReply = false;
    socket.on('data', (data: Buffer) => {
      gotReply ||= data.toString('latin1', 0, 5) === 'HTTP/';
      // Like the replayed client: once answered, it gives up this connection.
      socket.destroy();
    });
    socket.on('end', () => socket.destroy());
    // Not events.once: it rejects on 'error', and a reset is part of a flood's life.
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const timer = setTimeout(() => socket.destroy(), Math.max(0, untilMs - Date.now()));
    const pump = (): void => {
      if (socket.destroyed || Date.now() >= untilMs) return;
      bytesSent += FLOOD_CHUNK.length;
      if (socket.write(FLOOD_CHUNK)) setImmediate(pump);
      else socket.once('drain', pump);
    };
    socket.once('connect', pump);
    await closed;
    clearTimeout(timer);
    if (gotReply) answered += 1;
  }
  return { connections, bytesSent, answered };
}

/** `clients` flooding clients, each on a worker thread of its own, until `untilMs`. */
export function floodInWorkers(
  port: number,
  clients: number,
  untilMs: number,
): Promise<FloodReport[]> {
  const url = new URL('./flood-worker.js', import.meta.url);
  return Promise.all(
    Array.from({ length: clients }, () => {
      const worker = new Worker(url, { workerData: { port, untilMs } });
      return new Promise<FloodReport>((resolve, reject) => {
        worker.once('message', (report: FloodReport) => resolve(report));
        worker.once('error', reject);
      });
    }),
  );
}

export interface LatencyReport {
  readonly count: number;
  readonly p50Ms: number;
  readonly maxMs: number;
  /** Every response had the expected status and body hash. */
  readonly allIntact: boolean;
}

/** GETs of `path` one after another on new connections, until `untilMs`; at least one. */
export async function timeGets(
  port: number,
  path: string,
  expectedSha256: string,
  untilMs: number,
): Promise<LatencyReport> {
  const latencies: number[] = [];
  let allIntact = true;
  do {
    const startedMs = performance.now();
    const response = await download(port, path);
    latencies.push(performance.now() - startedMs);
    allIntact &&= response.status === 200 && response.sha256 === expectedSha256;
  } while (Date.now() < untilMs);
  return { count: latencies.length, ...summarize(latencies), allIntact };
}

export function summarize(latencies: readonly number[]): { p50Ms: number; maxMs: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50Ms: sorted[Math.floor((sorted.length - 1) / 2)] ?? 0,
    maxMs: sorted.at(-1) ?? 0,
  };
}

/** `M%07d` + 4,000 × `X` + ` / HTTP/1.1`: `count` distinct methods, `parallel` at a time. */
export async function sendDistinctMethods(
  port: number,
  count: number,
  parallel = 20,
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  for (let first = 0; first < count; first += parallel) {
    const sends = Array.from({ length: Math.min(parallel, count - first) }, async (_, i) => {
      const method = `M${String(first + i).padStart(7, '0')}${'X'.repeat(4000)}`;
      const { responses } = await exchange(port, `${method} / HTTP/1.1\r\nHost: a\r\n\r\n`);
      const status = responses[0]?.status ?? 0;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    });
    await Promise.all(sends);
  }
  return statuses;
}

/** `Range: bytes=0-0,2-2,4-4,…`: `count` one-byte ranges that no coalescing can merge. */
export function oneByteRanges(count: number): string {
  return `bytes=${Array.from({ length: count }, (_, i) => `${2 * i}-${2 * i}`).join(',')}`;
}
