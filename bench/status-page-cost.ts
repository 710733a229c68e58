/**
 * What watching the status costs the server with many downloads held: `GET /status` latency
 * (p50/p99, every connection listed, as `ebb status --json` asks) and the progress sampler's
 * CPU per second, at each count of held connections, for one or more ebb builds side by side
 * (an old `dist/` against the new one: same machine, same minute).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/status-page-cost.js \
 *     [--counts 1000,5000,10000] [--window 10] [--gets 40] \
 *     [--ebb before=/tmp/old/dist/src/cli/main.js] [--ebb after=dist/src/cli/main.js]
 *
 * Each download stalls after its first chunk: every connection is in flight (so sampled) and
 * the server otherwise quiet, so what the sampler costs stands alone. The sampler's CPU is
 * the server's CPU (its own and its reaped children's, e.g. `ss`) in a window where someone
 * keeps asking for progress (`/status?limit=0` every few seconds) less the CPU in a window
 * where nobody does. Connections go to 127.0.0.1 only; the bench process holds the client
 * ends, so it re-runs itself under a raised `ulimit -n` when it must. Each download holds two
 * descriptors in ebb, so under a hard limit of 20,000 ebb holds at most about 9,900 of them.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnWithFdLimit, stopChild } from './children.js';
import { clockTicks } from './proc-stats.js';
import { EBB_MAIN } from './servers.js';
import { HOST } from './ports.js';
import { timeStatusGets } from './status-probe.js';

const FILE_BYTES = 4 * 1024 * 1024 * 1024;
/** Shorter than the sampler's demand hold (10 s), so sampling stays on through the window. */
const DEMAND_EVERY_MS = 4000;
const FD_HEADROOM = 1024;

export interface EbbBuild {
  readonly name: string;
  /** Path of `dist/src/cli/main.js` of the build. */
  readonly main: string;
}

export interface StatusCostSettings {
  readonly counts: readonly number[];
  readonly windowS: number;
  readonly gets: number;
  readonly builds: readonly EbbBuild[];
}

/** One build at one connection count. */
export interface StatusCostRow {
  readonly build: string;
  readonly connections: number;
  readonly statusP50Ms: number;
  readonly statusP99Ms: number;
  /** CPU seconds per second (100 % of a core = 1) the sampler adds while progress is wanted. */
  readonly samplerCpuPerS: number;
  readonly idleCpuPerS: number;
  /**
   * The machine's TCP memory in pages while /status was timed, and where the kernel's pressure
   * begins (tcp_mem's middle value): under pressure every send buffer shrinks, so a 2.9 MB
   * answer takes many more round trips whatever ebb does. The held downloads count, and so
   * does whatever else the machine runs (another bench's slow clients). Null off Linux.
   */
  readonly tcpMemPages: { readonly used: number; readonly pressure: number } | null;
}

/** The quick run's settings, for a caller such as bench/run.ts: one count, short windows. */
export const QUICK_STATUS_COST: Omit<StatusCostSettings, 'builds'> = {
  counts: [1000],
  windowS: 4,
  gets: 20,
};

function tcpMemPages(): StatusCostRow['tcpMemPages'] {
  try {
    const used = /^TCP:.* mem (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'))?.[1];
    const pressure = readFileSync('/proc/sys/net/ipv4/tcp_mem', 'utf8').trim().split(/\s+/)[1];
    return used === undefined || pressure === undefined
      ? null
      : { used: Number(used), pressure: Number(pressure) };
  } catch {
    return null;
  }
}

/** utime + stime + cutime + cstime of one process, in seconds (children once reaped). */
function cpuWithChildrenS(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks / clockTicks();
}

async function startEbb(main: string, root: string, fdLimit: number) {
  const child = spawnWithFdLimit(
    [
      process.execPath,
      main,
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
    throw new Error(`ebb (${main}) did not start`);
  child.stderr?.resume();
  return { child, pid: child.pid, port, adminUrl: `http://${HOST}:${adminPort}` };
}

/** A download that reads its first chunk and then nothing. */
async function stalledDownload(port: number): Promise<Socket> {
  const socket = connect({ port, host: HOST });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(`GET /big.bin HTTP/1.1\r\nHost: bench\r\n\r\n`);
  socket.once('data', () => socket.pause());
  return socket;
}

function getJson(url: string): Promise<unknown> {
  return new Promise((done, fail) => {
    const req = request(url, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          done(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          fail(error instanceof Error ? error : new Error(String(error)));
        }
      });
      response.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

async function downloadsInFlight(adminUrl: string): Promise<number> {
  const status = (await getJson(`${adminUrl}/status?limit=0`)) as {
    counters?: { downloadsInFlight?: number };
  };
  return status.counters?.downloadsInFlight ?? 0;
}

/**
 * Until ebb's count of downloads in flight stops growing (under the fd limit it refuses what
 * does not fit: each download holds two descriptors); bounded. Returns that count.
 */
async function untilInFlight(adminUrl: string): Promise<number> {
  let last = -1;
  for (let tries = 0; tries < 120; tries++) {
    const now = await downloadsInFlight(adminUrl);
    if (now === last && now > 0) return now;
    last = now;
    await sleep(1000);
  }
  throw new Error(`ebb's downloads in flight kept changing (${last})`);
}

async function cpuPerSOver(pid: number, windowS: number, during?: () => void): Promise<number> {
  const before = cpuWithChildrenS(pid);
  const timer = during === undefined ? null : setInterval(during, DEMAND_EVERY_MS);
  await sleep(windowS * 1000);
  if (timer !== null) clearInterval(timer);
  return (cpuWithChildrenS(pid) - before) / windowS;
}

function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? Number.NaN;
}

async function measureOne(
  build: EbbBuild,
  root: string,
  count: number,
  settings: StatusCostSettings,
): Promise<StatusCostRow> {
  const fdLimit = Math.min(2 * count + FD_HEADROOM, openFilesLimit('hard'));
  const server = await startEbb(build.main, root, fdLimit);
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < count; i++) sockets.push(await stalledDownload(server.port));
    const held = await untilInFlight(server.adminUrl);
    // Let the last sample before the demand ran out pass (the hold is 10 s).
    await sleep(11_000);
    const idleCpuPerS = await cpuPerSOver(server.pid, settings.windowS);
    const demand = () => void downloadsInFlight(server.adminUrl).catch(() => undefined);
    demand();
    const wantedCpuPerS = await cpuPerSOver(server.pid, settings.windowS, demand);
    const memBefore = tcpMemPages();
    const times = await timeStatusGets(server.adminUrl, settings.gets);
    const memAfter = tcpMemPages();
    const tcpMem =
      memBefore === null || memAfter === null
        ? null
        : { used: Math.max(memBefore.used, memAfter.used), pressure: memAfter.pressure };
    if (process.env.EBB_STATUS_COST_TIMES === '1')
      console.log(times.map((t) => t.toFixed(0)).join(' '));
    return {
      build: build.name,
      connections: held,
      statusP50Ms: percentile(times, 0.5),
      statusP99Ms: percentile(times, 0.99),
      samplerCpuPerS: wantedCpuPerS - idleCpuPerS,
      idleCpuPerS,
      tcpMemPages: tcpMem,
    };
  } finally {
    for (const socket of sockets) socket.destroy();
    await stopChild(server.child);
  }
}

/** Every build at every count, builds alternating within a count. */
export async function measureStatusCost(settings: StatusCostSettings): Promise<StatusCostRow[]> {
  const root = await mkdtemp(join(tmpdir(), 'ebb-status-cost-'));
  const rows: StatusCostRow[] = [];
  try {
    const file = await open(join(root, 'big.bin'), 'w');
    await file.truncate(FILE_BYTES); // sparse: the bytes are zeros, the sizes are real
    await file.close();
    for (const count of settings.counts) {
      for (const build of settings.builds) {
        const row = await measureOne(build, root, count, settings);
        console.log(formatRow(row));
        rows.push(row);
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return rows;
}

/** One figure of a row, for a report table (bench/run.ts): id, label, the build as server. */
export interface StatusCostFigure {
  readonly id: string;
  readonly label: string;
  readonly server: string;
  readonly value: number;
}

/** The hook for bench/run.ts: every row as report figures (ms, and ms of CPU per second). */
export function statusCostFigures(rows: readonly StatusCostRow[]): StatusCostFigure[] {
  return rows.flatMap((row) => {
    const n = row.connections;
    const at = `${n.toLocaleString('en-US')} held downloads`;
    return [
      { id: `status-p50-ms-${n}`, label: `/status p50 ms, ${at}`, value: row.statusP50Ms },
      { id: `status-p99-ms-${n}`, label: `/status p99 ms, ${at}`, value: row.statusP99Ms },
      {
        id: `sampler-cpu-ms-per-s-${n}`,
        label: `progress sampler CPU ms/s, ${at}`,
        value: row.samplerCpuPerS * 1000,
      },
    ].map((figure) => ({ ...figure, server: row.build }));
  });
}

export function formatRow(row: StatusCostRow): string {
  return (
    `${row.build.padEnd(8)} ${String(row.connections).padStart(6)} conns: ` +
    `/status p50 ${row.statusP50Ms.toFixed(1)} ms, p99 ${row.statusP99Ms.toFixed(1)} ms; ` +
    `sampler ${(row.samplerCpuPerS * 1000).toFixed(0)} ms CPU/s ` +
    `(idle ${(row.idleCpuPerS * 1000).toFixed(0)} ms/s)` +
    (row.tcpMemPages === null
      ? ''
      : `; TCP mem ${row.tcpMemPages.used} pages (pressure from ${row.tcpMemPages.pressure})`)
  );
}

/** The soft or hard `ulimit -n` of this process, from /proc/self/limits. */
function openFilesLimit(which: 'soft' | 'hard'): number {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const line = /^Max open files\s+(\d+)\s+(\d+)/m.exec(limits);
  return Number(line?.[which === 'soft' ? 1 : 2] ?? 1024);
}

/** Runs this script again under `ulimit -n need`; returns false when no re-run was needed. */
function rerunWithFdLimit(need: number): boolean {
  if (openFilesLimit('soft') >= need || process.env.EBB_STATUS_COST_RERUN === '1') return false;
  const result = spawnSync(
    'bash',
    ['-c', `ulimit -n ${need} && exec "$@"`, 'bench', process.execPath, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, EBB_STATUS_COST_RERUN: '1' } },
  );
  process.exitCode = result.status ?? 1;
  return true;
}

function parseSettings(): StatusCostSettings {
  const { values } = parseArgs({
    options: {
      counts: { type: 'string', default: '1000,5000,10000' },
      window: { type: 'string', default: '10' },
      gets: { type: 'string', default: '40' },
      ebb: { type: 'string', multiple: true, default: [] },
    },
  });
  const builds = values.ebb.map((spec) => {
    const at = spec.indexOf('=');
    return at === -1
      ? { name: spec, main: resolve(spec) }
      : { name: spec.slice(0, at), main: resolve(spec.slice(at + 1)) };
  });
  return {
    counts: values.counts.split(',').map(Number),
    windowS: Number(values.window),
    gets: Number(values.gets),
    builds: builds.length > 0 ? builds : [{ name: 'ebb', main: EBB_MAIN }],
  };
}

async function main(): Promise<void> {
  const settings = parseSettings();
  const need = Math.min(Math.max(...settings.counts) + FD_HEADROOM, openFilesLimit('hard'));
  if (rerunWithFdLimit(need)) return;
  const rows = await measureStatusCost(settings);
  console.log('\nsummary:');
  for (const row of rows) console.log(formatRow(row));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
