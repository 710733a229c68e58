/**
 * The rate limiter: 100 clients reading the big file as fast as they can from one ebb, first
 * with no limit, then under `--rate-total`: how evenly the total is shared (each client's rate
 * against its share, the worst deviation; the issue asks ±10 %), whether the total holds, and
 * ebb's CPU time per GiB served either way (the difference is what the limiter costs: its
 * smaller grants, its timer, its turns).
 *
 * Part of `npm run bench` (skip with `--skip rates`), or alone:
 *   npx tsc -p tsconfig.json && node dist/bench/rate-share.js [--quick] [--rate 50MB/s]
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { stopAllChildren } from './children.js';
import { enablePinning } from './cpu-pinning.js';
import { buildDocroot, FILES } from './docroot.js';
import { cpuSeconds } from './proc-stats.js';
import { HOST } from './ports.js';
import { serverSpec, startServer, type ServerSpec } from './servers.js';

export interface RateShareInput {
  readonly root: string;
  readonly workDir: string;
  readonly fdLimit: number;
  readonly clients: number;
  readonly rateBytesPerS: number;
  readonly warmupS: number;
  readonly windowS: number;
}

export interface RateShareRun {
  readonly label: string;
  readonly totalBytesPerS: number;
  readonly minBytesPerS: number;
  readonly maxBytesPerS: number;
  /** Of the worst client, from its share (total / clients); only meaningful under a limit. */
  readonly worstDeviation: number;
  readonly cpuSecondsPerGiB: number;
}

/** ebb as the plain bench starts it, with `extra` before the document root. */
function ebbWith(extra: readonly string[]): ServerSpec {
  const plain = serverSpec('ebb');
  return {
    ...plain,
    prepare: async (input, adminPort) => {
      const argv = await plain.prepare(input, adminPort);
      return [...argv.slice(0, -1), ...extra, ...argv.slice(-1)];
    },
  };
}

/** `count` connections each reading the big file as fast as they can, counting bytes. */
async function openReaders(
  port: number,
  count: number,
): Promise<{ sockets: Socket[]; bytes: number[] }> {
  const bytes = Array.from({ length: count }, () => 0);
  const sockets = await Promise.all(
    bytes.map(async (_, index) => {
      const socket = connect({ host: HOST, port });
      await once(socket, 'connect');
      socket.on('data', (chunk: Buffer) => (bytes[index] = (bytes[index] ?? 0) + chunk.length));
      socket.on('error', () => undefined);
      socket.write(`GET ${FILES.big} HTTP/1.1\r\nHost: bench\r\n\r\n`);
      return socket;
    }),
  );
  return { sockets, bytes };
}

async function measureRun(
  input: RateShareInput,
  label: string,
  extra: readonly string[],
): Promise<RateShareRun> {
  const server = await startServer(ebbWith(extra), {
    ...input,
    log: 'off',
    maxConnections: input.clients + 1024,
  });
  try {
    console.log(`bench: ${label}: ebb (pid ${server.pid}), ${input.clients} clients`);
    const readers = await openReaders(server.port, input.clients);
    await sleep(input.warmupS * 1000);
    const before = [...readers.bytes];
    const cpuBefore = cpuSeconds(server.pid);
    const startNs = process.hrtime.bigint();
    await sleep(input.windowS * 1000);
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    const elapsedS = Number(process.hrtime.bigint() - startNs) / 1e9;
    const rates = readers.bytes.map((total, i) => (total - (before[i] ?? 0)) / elapsedS);
    for (const socket of readers.sockets) socket.destroy();
    const totalBytesPerS = rates.reduce((sum, rate) => sum + rate, 0);
    const share = totalBytesPerS / input.clients;
    return {
      label,
      totalBytesPerS,
      minBytesPerS: Math.min(...rates),
      maxBytesPerS: Math.max(...rates),
      worstDeviation: Math.max(...rates.map((rate) => Math.abs(rate - share) / share)),
      cpuSecondsPerGiB: cpu / ((totalBytesPerS * elapsedS) / 2 ** 30),
    };
  } finally {
    await server.stop();
  }
}

const mb = (bytesPerS: number): string => `${(bytesPerS / 1e6).toFixed(2)} MB/s`;

/** The limiter section of the report: one row per run, and the limiter's CPU cost per GiB. */
export async function runRateShareBench(
  input: RateShareInput,
): Promise<{ readonly table: string; readonly notes: readonly string[] }> {
  const free = await measureRun(input, 'no limit', []);
  const limited = await measureRun(input, `--rate-total ${mb(input.rateBytesPerS)}`, [
    '--rate-total',
    String(input.rateBytesPerS),
  ]);
  const rows = [free, limited].map(
    (r) =>
      `| ${r.label} | ${mb(r.totalBytesPerS)} | ${mb(r.minBytesPerS)}–${mb(r.maxBytesPerS)} | ` +
      `${(r.worstDeviation * 100).toFixed(1)} % | ${r.cpuSecondsPerGiB.toFixed(2)} |`,
  );
  const table = [
    `| ${input.clients} clients, as fast as they can | total | each (min–max) | worst off its share | ebb CPU s/GiB |`,
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  const held = Math.abs(limited.totalBytesPerS - input.rateBytesPerS) / input.rateBytesPerS;
  return {
    table,
    notes: [
      `limiter: worst client ${(limited.worstDeviation * 100).toFixed(1)} % off its share ` +
        `(${limited.worstDeviation <= 0.1 ? 'within' : 'OUTSIDE'} ±10 %); total ${(held * 100).toFixed(1)} % off the rate set; ` +
        `CPU ${(limited.cpuSecondsPerGiB - free.cpuSecondsPerGiB).toFixed(2)} s/GiB more than unlimited ` +
        `(${(limited.cpuSecondsPerGiB / free.cpuSecondsPerGiB).toFixed(2)}x)`,
    ],
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rate: { type: 'string', default: '50000000' },
    },
  });
  enablePinning(true);
  const workDir = mkdtempSync(join(tmpdir(), 'ebb-bench-rates-'));
  try {
    const root = join(workDir, 'root');
    mkdirSync(root);
    await buildDocroot(root, 512 * 1024 * 1024);
    const section = await runRateShareBench({
      root,
      workDir,
      fdLimit: 4096,
      clients: 100,
      rateBytesPerS: Number(values.rate),
      warmupS: 1,
      windowS: values.quick ? 4 : 10,
    });
    console.log(`\n${section.table}\n`);
    for (const note of section.notes) console.log(`note: ${note}`);
  } finally {
    await stopAllChildren();
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('/bench/rate-share.js') === true) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
