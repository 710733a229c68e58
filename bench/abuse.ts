/**
 * `npm run bench:abuse`: the remote abuses of issue 12 replayed against ebb and nginx side by
 * side, each on a fresh server on 127.0.0.1, and the figures printed as one table:
 * - 12.1 distinct long methods (`M%07d` + 4,000 × X): the server's RSS before and after, and
 *   (ebb) how many `ebb_requests_total` label sets `/metrics` then holds;
 * - 12.2 empty-line floods (`\r\n` × 32768 per write, 1 and 4 clients, each on its own thread)
 *   next to a good client: its GET p50 and max, the server's CPU and RSS during the flood;
 * - 12.6 100 one-byte ranges of a 1 GiB (sparse) file: status and body bytes.
 * `--ebb-bin PATH` runs another build of ebb (e.g. a checkout from before a fix).
 */
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes, createHash } from 'node:crypto';
import {
  floodInWorkers,
  oneByteRanges,
  sendDistinctMethods,
  timeGets,
} from '../test/helpers/abuse-replays.js';
import { download } from '../test/helpers/http-client.js';
import { killAllChildrenNow, stopAllChildren } from './children.js';
import { cpuSeconds, rssBytes } from './proc-stats.js';
import { serverSpec, startServer, type RunningServer, type ServerSpec } from './servers.js';

const USAGE = `usage: npm run bench:abuse -- [--methods N] [--flood-seconds S] [--only ebb,nginx] [--ebb-bin PATH]`;

interface AbuseOptions {
  readonly methods: number;
  readonly floodSeconds: number;
  readonly servers: readonly string[];
  readonly ebbBin: string | undefined;
}

function parseOptions(argv: readonly string[]): AbuseOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      methods: { type: 'string', default: '20000' },
      'flood-seconds': { type: 'string', default: '10' },
      only: { type: 'string', default: 'ebb,nginx' },
      'ebb-bin': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  const methods = Number(values.methods);
  const floodSeconds = Number(values['flood-seconds']);
  if (!Number.isInteger(methods) || methods < 1) throw new Error(`--methods: ${values.methods}`);
  if (!(floodSeconds > 0)) throw new Error(`--flood-seconds: ${values['flood-seconds']}`);
  return { methods, floodSeconds, servers: values.only.split(','), ebbBin: values['ebb-bin'] };
}

/** The spec of a server to measure; ebb's binary can be swapped for another build's. */
function specFor(name: string, ebbBin: string | undefined): ServerSpec {
  if (name !== 'ebb' && name !== 'nginx' && name !== 'lighttpd') {
    throw new Error(`--only: ${name} (ebb, nginx or lighttpd)`);
  }
  const spec = serverSpec(name);
  if (name !== 'ebb' || ebbBin === undefined) return spec;
  return {
    ...spec,
    prepare: async (input, adminPort) => {
      const [, ...rest] = await spec.prepare(input, adminPort);
      return [ebbBin, ...rest];
    },
  };
}

type Figures = Map<string, string>;

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;

function metricsText(adminUrl: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request(`${adminUrl}/metrics`, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', () => resolve(''));
    req.end();
  });
}

async function measureMethods(server: RunningServer, count: number, figures: Figures) {
  const rssBefore = rssBytes(server.pid);
  const startedMs = Date.now();
  const statuses = await sendDistinctMethods(server.port, count);
  const seconds = (Date.now() - startedMs) / 1000;
  figures.set(
    `12.1 ${count} distinct methods: statuses`,
    [...statuses].map(([s, n]) => `${s}×${n}`).join(' '),
  );
  figures.set(
    `12.1 ${count} distinct methods: RSS before → after`,
    `${mib(rssBefore)} → ${mib(rssBytes(server.pid))}`,
  );
  figures.set(`12.1 ${count} distinct methods: time`, `${seconds.toFixed(1)} s`);
  if (server.name === 'ebb') {
    const labelSets = (await metricsText(server.adminUrl))
      .split('\n')
      .filter((line) => line.startsWith('ebb_requests_total{')).length;
    figures.set(`12.1 ${count} distinct methods: ebb_requests_total label sets`, String(labelSets));
  }
}

async function measureFlood(
  server: RunningServer,
  clients: number,
  seconds: number,
  file: { path: string; sha256: string },
  figures: Figures,
) {
  const label = `12.2 ${clients} flood client${clients === 1 ? '' : 's'}, ${seconds} s`;
  const cpuBefore = cpuSeconds(server.pid);
  const untilMs = Date.now() + seconds * 1000;
  const floods =
    clients === 0 ? Promise.resolve([]) : floodInWorkers(server.port, clients, untilMs);
  const good = await timeGets(server.port, file.path, file.sha256, untilMs);
  const reports = await floods;
  const cpu = (cpuSeconds(server.pid) - cpuBefore) / seconds;
  figures.set(
    `${label}: good GET ${file.path} p50 / max (count)`,
    `${ms(good.p50Ms)} / ${ms(good.maxMs)} (${good.count}${good.allIntact ? '' : ', BAD BYTES'})`,
  );
  figures.set(
    `${label}: server CPU, RSS after`,
    `${(cpu * 100).toFixed(0)} %, ${mib(rssBytes(server.pid))}`,
  );
  if (clients > 0) {
    const connections = reports.reduce((total, r) => total + r.connections, 0);
    const sent = reports.reduce((total, r) => total + r.bytesSent, 0);
    const answered = reports.reduce((total, r) => total + r.answered, 0);
    figures.set(
      `${label}: flood connections (answered), bytes sent`,
      `${connections} (${answered}), ${mib(sent)}`,
    );
  }
}

async function measureRanges(server: RunningServer, figures: Figures) {
  const startedMs = Date.now();
  // Read whole (a server that ignores the ranges sends all 1 GiB), counting the bytes.
  const response = await download(server.port, '/sparse-1gib.iso', {
    headers: { Range: oneByteRanges(100) },
  });
  figures.set(
    '12.6 100 one-byte ranges of 1 GiB: status, body, time',
    `${response.status}, ${response.bodyBytes} B, ${Date.now() - startedMs} ms`,
  );
}

function buildRoot(dir: string): { path: string; sha256: string }[] {
  mkdirSync(dir);
  const data = randomBytes(1024 * 1024);
  writeFileSync(join(dir, 'one-mib.bin'), data);
  const tiny = Buffer.from('seventeen bytes!\n');
  writeFileSync(join(dir, 'tiny.txt'), tiny);
  writeFileSync(join(dir, 'sparse-1gib.iso'), '');
  truncateSync(join(dir, 'sparse-1gib.iso'), 1024 ** 3);
  const hash = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
  return [
    { path: '/tiny.txt', sha256: hash(tiny) },
    { path: '/one-mib.bin', sha256: hash(data) },
  ];
}

async function measureServer(
  spec: ServerSpec,
  launch: { root: string; workDir: string },
  options: AbuseOptions,
  files: { path: string; sha256: string }[],
): Promise<Figures> {
  const figures: Figures = new Map();
  const fresh = () =>
    startServer(spec, { ...launch, log: 'off', fdLimit: 4096, maxConnections: 4000 });
  const steps: Array<(server: RunningServer) => Promise<void>> = [
    (server) => measureMethods(server, options.methods, figures),
    ...files.flatMap((file) =>
      [0, 1, 4].map(
        (clients) => (server: RunningServer) =>
          measureFlood(server, clients, options.floodSeconds, file, figures),
      ),
    ),
    (server) => measureRanges(server, figures),
  ];
  for (const step of steps) {
    console.log(`bench:abuse: ${spec.name}: step ${steps.indexOf(step) + 1}/${steps.length}`);
    const server = await fresh();
    try {
      await step(server);
    } catch (error) {
      figures.set(`error in step ${steps.indexOf(step) + 1}`, String(error));
    } finally {
      await server.stop();
    }
  }
  return figures;
}

function renderTable(names: readonly string[], results: readonly Figures[]): string {
  const rows = [...new Set(results.flatMap((figures) => [...figures.keys()]))];
  const lines = [
    `| figure | ${names.join(' | ')} |`,
    `| --- | ${names.map(() => '---').join(' | ')} |`,
  ];
  for (const row of rows)
    lines.push(`| ${row} | ${results.map((f) => f.get(row) ?? '–').join(' | ')} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const workDir = mkdtempSync(join(tmpdir(), 'ebb-abuse-'));
  process.on('exit', killAllChildrenNow);
  try {
    const root = join(workDir, 'root');
    const files = buildRoot(root);
    const results: Figures[] = [];
    for (const name of options.servers) {
      results.push(
        await measureServer(specFor(name, options.ebbBin), { root, workDir }, options, files),
      );
    }
    console.log(`\n${new Date().toISOString()}, loopback, no CPU pinning, shared machine\n`);
    console.log(renderTable(options.servers, results));
  } finally {
    await stopAllChildren();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
