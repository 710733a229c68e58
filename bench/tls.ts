/**
 * HTTPS: ebb's `--listen-tls` against nginx's `listen … ssl` with the same certificate (P-256,
 * made here with `openssl req -x509`) and the same cipher (each server's negotiated protocol
 * and cipher are checked and printed): 1 KiB and 100 KiB with wrk over keep-alive TLS, and the
 * 512 MiB file with concurrent `curl --cacert` downloads, each with the server's CPU time per
 * GiB of body served. Rounds are interleaved (ebb, nginx, ebb, nginx…), a fresh server each.
 *
 * Part of `npm run bench` (skip with `--skip tls`), or alone:
 *   npx tsc -p tsconfig.json && node dist/bench/tls.js [--quick] [--rounds N]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { stopAllChildren } from './children.js';
import { enablePinning } from './cpu-pinning.js';
import { buildDocroot, FILES } from './docroot.js';
import { measureLargeDownload } from './large-download.js';
import type { ServerName } from './options.js';
import { cpuSeconds } from './proc-stats.js';
import { HOST } from './ports.js';
import { Results } from './results.js';
import { serverSpec, startServer, type RunningServer, type ServerSpec } from './servers.js';
import { summarize } from './stats.js';
import { measureWrk, type WrkSettings } from './wrk.js';
import { makeCertificate, type TestCertificate } from '../test/helpers/tls-certificate.js';

export interface TlsBenchInput {
  readonly root: string;
  readonly workDir: string;
  readonly fdLimit: number;
  readonly rounds: number;
  readonly wrk: WrkSettings;
  /** Warm each server up once, before its first case, not before every case (--quick). */
  readonly wrkWarmupOnce: boolean;
  readonly largeClients: number;
  readonly bigFileBytes: number;
}

/** ebb as the plain bench starts it, its `--listen` turned into `--listen-tls` with the files. */
function ebbTls(cert: TestCertificate): ServerSpec {
  const plain = serverSpec('ebb');
  return {
    ...plain,
    prepare: async (input, adminPort) => {
      const argv = await plain.prepare(input, adminPort);
      const at = argv.indexOf('--listen');
      if (at < 0) throw new Error('bench: the ebb command line has no --listen');
      return [
        ...argv.slice(0, at),
        '--listen-tls',
        ...argv.slice(at + 1, at + 2),
        '--tls-cert',
        cert.certPath,
        '--tls-key',
        cert.keyPath,
        ...argv.slice(at + 2),
      ];
    },
  };
}

/** nginx's bench config with its listener made `ssl` on the same certificate, TLS 1.2+ only. */
export function nginxTlsConf(plainConf: string, cert: TestCertificate): string {
  const listen = /^( *)listen (\S+) backlog=(\d+);$/m;
  if (!listen.test(plainConf)) throw new Error('bench: the nginx config has no listen line');
  return plainConf.replace(
    listen,
    (_, indent: string, address: string, backlog: string) =>
      `${indent}listen ${address} ssl backlog=${backlog};\n` +
      `${indent}ssl_certificate ${cert.certPath};\n` +
      `${indent}ssl_certificate_key ${cert.keyPath};\n` +
      `${indent}ssl_protocols TLSv1.2 TLSv1.3;\n` +
      `${indent}ssl_session_tickets on;`,
  );
}

function nginxTls(cert: TestCertificate): ServerSpec {
  const plain = serverSpec('nginx');
  return {
    ...plain,
    prepare: async (input, adminPort) => {
      const argv = await plain.prepare(input, adminPort);
      const conf = argv[argv.indexOf('-c') + 1];
      if (conf === undefined) throw new Error('bench: the nginx command line has no -c');
      await writeFile(conf, nginxTlsConf(await readFile(conf, 'utf8'), cert));
      return argv;
    },
  };
}

/** The protocol and cipher a default client (OpenSSL's order, as curl and wrk) negotiates. */
async function negotiated(port: number, ca: string): Promise<string> {
  const socket = connectTls({ host: HOST, port, ca: await readFile(ca) });
  await once(socket, 'secureConnect');
  const text = `${socket.getProtocol() ?? '?'} ${socket.getCipher().standardName}`;
  socket.destroy();
  return text;
}

const FIGURES = [
  { id: 'tls-1k-rps', label: 'TLS 1 KiB req/s (wrk, keep-alive)', decimals: 0 },
  { id: 'tls-1k-p99', label: 'TLS 1 KiB p99 ms', decimals: 2 },
  { id: 'tls-1k-cpu', label: 'TLS 1 KiB CPU s/GiB of body', decimals: 1 },
  { id: 'tls-100k-rps', label: 'TLS 100 KiB req/s', decimals: 0 },
  { id: 'tls-100k-p99', label: 'TLS 100 KiB p99 ms', decimals: 2 },
  { id: 'tls-100k-cpu', label: 'TLS 100 KiB CPU s/GiB', decimals: 2 },
  { id: 'tls-big-mbps', label: 'TLS 512 MiB xN MB/s (curl --cacert)', decimals: 0 },
  { id: 'tls-big-cpu', label: 'TLS 512 MiB xN CPU s/GiB', decimals: 2 },
] as const;

const SMALL_CASES = [
  { key: '1k', path: FILES.small, bytes: 1024 },
  { key: '100k', path: FILES.medium, bytes: 100 * 1024 },
] as const;

async function measureSession(
  server: RunningServer,
  input: TlsBenchInput,
  cert: TestCertificate,
  results: Results,
): Promise<void> {
  const name = server.name;
  const base = `https://${HOST}:${server.port}`;
  for (const [index, { key, path, bytes }] of SMALL_CASES.entries()) {
    const wrk = index > 0 && input.wrkWarmupOnce ? { ...input.wrk, warmupS: 0 } : input.wrk;
    // The warm-up run is inside measureWrk: the CPU counted covers it too, so bytes do as well.
    const cpuBefore = cpuSeconds(server.pid);
    const result = await measureWrk(base + path, wrk);
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    const total = wrk.durationS + wrk.warmupS;
    const bodyGiB = (result.requests * bytes * (total / wrk.durationS)) / 2 ** 30;
    if (result.problems.length > 0)
      results.note(`${name} TLS ${key}: ${result.problems.join('; ')}`);
    results.add(`tls-${key}-rps`, name, result.requestsPerS);
    results.add(`tls-${key}-p99`, name, result.p99Ms);
    results.add(`tls-${key}-cpu`, name, cpu / bodyGiB);
  }
  const large = await measureLargeDownload(
    base + FILES.big,
    server.pid,
    input.largeClients,
    input.bigFileBytes,
    ['--cacert', cert.certPath],
  );
  results.add('tls-big-mbps', name, large.megabytesPerS);
  results.add('tls-big-cpu', name, large.cpuSecondsPerGiB);
}

function format(value: number, decimals: number): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

/** One row per figure: each server's median (min–max) and ebb's median over nginx's. */
export function renderTlsTable(results: Results, servers: readonly ServerName[]): string {
  const rows = FIGURES.map((figure) => {
    const cells = servers.map((server) => {
      const s = summarize(results.samples(figure.id, server));
      if (s === undefined) return '–';
      const range =
        s.count > 1 ? ` (${format(s.min, figure.decimals)}–${format(s.max, figure.decimals)})` : '';
      return `${format(s.median, figure.decimals)}${range}`;
    });
    const ebb = summarize(results.samples(figure.id, 'ebb'))?.median;
    const nginx = summarize(results.samples(figure.id, 'nginx'))?.median;
    const ratio = ebb === undefined || nginx === undefined ? '–' : `${format(ebb / nginx, 2)}x`;
    return `| ${figure.label} | ${cells.join(' | ')} | ${ratio} |`;
  });
  return [
    `| figure | ${servers.join(' | ')} | ebb / nginx |`,
    `| --- | ${servers.map(() => '---').join(' | ')} | --- |`,
    ...rows,
  ].join('\n');
}

/** The HTTPS section of the report: its table and the notes (negotiated ciphers, failures). */
export async function runTlsBench(
  input: TlsBenchInput,
): Promise<{ readonly table: string; readonly notes: readonly string[] }> {
  const results = new Results();
  // The one certificate both servers present: the tests' P-256 one, for 127.0.0.1 and localhost.
  const cert = await makeCertificate(input.workDir, 'bench-tls');
  const specs = [ebbTls(cert), nginxTls(cert)];
  const ciphers = new Map<ServerName, string>();
  for (let round = 1; round <= input.rounds; round += 1) {
    console.log(`bench: TLS round ${round}/${input.rounds}`);
    for (const spec of specs) {
      let server: RunningServer | null = null;
      try {
        server = await startServer(spec, { ...input, log: 'off', maxConnections: 1024 });
        console.log(`bench: ${server.name} over TLS (pid ${server.pid})`);
        ciphers.set(server.name, await negotiated(server.port, cert.certPath));
        await measureSession(server, input, cert, results);
      } catch (error) {
        results.note(`${spec.name} TLS: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await server?.stop();
      }
    }
  }
  const agreed = new Set(ciphers.values()).size <= 1;
  const cipherNote =
    `negotiated: ${[...ciphers].map(([name, text]) => `${name} ${text}`).join(', ')}` +
    (agreed ? ' (the same)' : ' (they DIFFER: the figures do not compare like with like)');
  return {
    table: renderTlsTable(results, ['ebb', 'nginx']),
    notes: [cipherNote, ...results.notes],
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, rounds: { type: 'string' } },
  });
  const quick = values.quick;
  enablePinning(true);
  const workDir = mkdtempSync(join(tmpdir(), 'ebb-bench-tls-'));
  try {
    const root = join(workDir, 'root');
    mkdirSync(root);
    const bigFileBytes = 512 * 1024 * 1024;
    await buildDocroot(root, bigFileBytes);
    const section = await runTlsBench({
      root,
      workDir,
      fdLimit: 4096,
      rounds: Number(values.rounds ?? (quick ? 1 : 3)),
      wrk: { connections: 50, durationS: quick ? 1 : 5, warmupS: 1 },
      wrkWarmupOnce: quick,
      largeClients: quick ? 2 : 4,
      bigFileBytes,
    });
    console.log(`\n${section.table}\n`);
    for (const note of section.notes) console.log(`note: ${note}`);
  } finally {
    await stopAllChildren();
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('/bench/tls.js') === true) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
