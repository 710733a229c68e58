/**
 * `npm run bench:haproxy`: two mirror nodes behind Debian's HAProxy on loopback (health checks
 * `option httpchk GET /ready`, `inter` 500 ms, `fall 3`), a steady mixed load and 20 long
 * throttled downloads; one node is drained. For ebb with `--drain-delay auto`, 0 s, 1 s and 3 s,
 * and for nginx (SIGQUIT, its graceful stop; HAProxy checks its /ready location on the same port),
 * each `--rounds` times, interleaved so the machine's load falls on all alike. Reports client
 * errors, long downloads intact, and the time from the drain signal until the drained node got
 * its last new request, and until HAProxy marked it down.
 *
 *   npm run bench:haproxy -- [--rounds 3] [--inter 500] [--long-close]
 *
 * `--long-close`: the long downloads say `Connection: close` (as wget does) instead of keep-alive.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineFollower } from '../test/helpers/ebb-process.js';
import { writeRandomFile, type Fixture } from '../test/helpers/fixtures.js';
import {
  runHaproxyDrain,
  type MirrorNode,
  type ScenarioFigures,
} from '../test/helpers/haproxy-drain.js';
import { killAllChildrenNow, stopAllChildren, stopChild, spawnWithFdLimit } from './children.js';
import { freePort, HOST, waitForPort } from './ports.js';
import { EBB_BIN } from './servers.js';
import { summarize } from './stats.js';

const RATE_BYTES_PER_SEC = 1024 * 1024;
const LONG_BYTES = 6 * 1024 * 1024;
const FD_LIMIT = 4096;

type Variant = { readonly label: string } & (
  { readonly server: 'ebb'; readonly drainDelay: string } | { readonly server: 'nginx' }
);

const VARIANTS: readonly Variant[] = [
  { label: 'ebb --drain-delay auto', server: 'ebb', drainDelay: 'auto' },
  { label: 'ebb --drain-delay 0s', server: 'ebb', drainDelay: '0s' },
  { label: 'ebb --drain-delay 1s', server: 'ebb', drainDelay: '1s' },
  { label: 'ebb --drain-delay 3s', server: 'ebb', drainDelay: '3s' },
  { label: 'nginx (SIGQUIT)', server: 'nginx' },
];

interface Started extends MirrorNode {
  /** Resolves once HAProxy has had time to check the node a few times. */
  readonly checkedLongEnough: () => Promise<void>;
  readonly stop: () => Promise<void>;
}

async function startEbbNode(name: string, root: string, drainDelay: string): Promise<Started> {
  const child = spawnWithFdLimit(
    [
      EBB_BIN,
      'serve',
      '--allow-root',
      ...['--listen', `${HOST}:0`, '--admin', `${HOST}:0`, '--access-log', 'off'],
      ...['--rate-per-connection', `${RATE_BYTES_PER_SEC}`, '--drain-delay', drainDelay],
      root,
    ],
    FD_LIMIT,
  );
  if (child.stderr === null) throw new Error('ebb was started without a stderr pipe');
  const stderr = new LineFollower(child.stderr);
  child.stdout?.resume();
  await stderr.waitFor(/\bserving\b/);
  const port = Number(/listening on .*:(\d+)$/.exec(await stderr.waitFor(/listening on/))?.[1]);
  const admin = Number(/admin on .*:(\d+)/.exec(await stderr.waitFor(/admin on/))?.[1]);
  const exited = once(child, 'exit');
  return {
    name,
    port,
    checkPort: admin,
    checkPath: '/ready',
    drain: () => child.kill('SIGINT'),
    exited,
    checkedLongEnough: () =>
      stderr.waitFor(/health checker .* polls \/ready/, 30_000).then(() => undefined),
    stop: () => stopChild(child),
  };
}

function nginxConf(workDir: string, root: string, port: number): string {
  return `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
pid ${workDir}/nginx.pid;
error_log ${workDir}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  default_type application/octet-stream;
  sendfile on;
  access_log off;
  client_body_temp_path ${workDir}/body;
  proxy_temp_path ${workDir}/proxy;
  fastcgi_temp_path ${workDir}/fastcgi;
  uwsgi_temp_path ${workDir}/uwsgi;
  scgi_temp_path ${workDir}/scgi;
  server {
    listen ${HOST}:${port};
    root ${root};
    limit_rate ${RATE_BYTES_PER_SEC};
    location = /ready { return 200 "ready\\n"; }
  }
}
`;
}

async function startNginxNode(
  name: string,
  root: string,
  workDir: string,
  inter: number,
): Promise<Started> {
  const port = await freePort();
  const dir = join(workDir, `nginx-${name}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, nginxConf(dir, root, port));
  const child = spawnWithFdLimit(
    ['nginx', '-p', dir, '-e', join(dir, 'nginx-error.log'), '-c', conf, '-g', 'daemon off;'],
    FD_LIMIT,
  );
  child.stdout?.resume();
  child.stderr?.resume();
  await waitForPort(port, () => child.exitCode !== null);
  const exited = once(child, 'exit');
  return {
    name,
    port,
    checkPort: port,
    checkPath: '/ready',
    drain: () => child.kill('SIGQUIT'),
    exited,
    // nginx says nothing of its checks: give HAProxy a few intervals.
    checkedLongEnough: () => sleep(3 * inter),
    stop: () => stopChild(child),
  };
}

async function runOnce(
  variant: Variant,
  root: string,
  files: { small: Fixture[]; long: Fixture },
  inter: number,
  longConnectionClose: boolean,
): Promise<ScenarioFigures> {
  const workDir = await mkdtemp(join(tmpdir(), 'ebb-bench-haproxy-'));
  const start = (name: string): Promise<Started> =>
    variant.server === 'ebb'
      ? startEbbNode(name, root, variant.drainDelay)
      : startNginxNode(name, root, workDir, inter);
  const a = await start('a');
  const b = await start('b');
  try {
    return await runHaproxyDrain({
      nodes: [a, b],
      workDir,
      checkIntervalMs: inter,
      smallFiles: files.small,
      longFile: files.long,
      longDownloads: 20,
      longConnectionClose,
      loadClients: 8,
      loadPauseMs: 10,
      checkedLongEnough: a.checkedLongEnough,
    });
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await rm(workDir, { recursive: true, force: true });
  }
}

function cell(values: readonly number[], unit = ''): string {
  const s = summarize(values);
  if (s === undefined) return '-';
  return `${Math.round(s.median)}${unit} (${Math.round(s.min)}–${Math.round(s.max)})`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      inter: { type: 'string', default: '500' },
      'long-close': { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const inter = Number(values.inter);
  for (const program of ['haproxy', 'nginx']) {
    const probe = spawn(program, ['-v'], { stdio: 'ignore' });
    const [code] = (await once(probe, 'exit').catch(() => [127])) as [number | null];
    if (code !== 0) throw new Error(`${program} is not installed (apt-get install ${program})`);
  }
  const root = await mkdtemp(join(tmpdir(), 'ebb-bench-mirror-'));
  process.on('exit', killAllChildrenNow);
  try {
    const files = {
      small: [
        await writeRandomFile(root, 'small.bin', 4096),
        await writeRandomFile(root, 'medium.bin', 96 * 1024),
      ],
      long: await writeRandomFile(root, 'long.iso', LONG_BYTES),
    };
    const results = new Map<string, ScenarioFigures[]>();
    for (let round = 1; round <= rounds; round++) {
      for (const variant of VARIANTS) {
        const figures = await runOnce(variant, root, files, inter, values['long-close']);
        results.set(variant.label, [...(results.get(variant.label) ?? []), figures]);
        process.stderr.write(
          `round ${round} ${variant.label}: ${figures.clientErrors} errors of ${figures.requests}` +
            ` ${JSON.stringify(figures.errorKinds)}, long ${figures.longIntact}/${figures.longTotal}` +
            ` (${figures.longOnDrained} on the drained node) ${JSON.stringify(figures.longFailures)}, last request ${figures.lastRequestToDrainedMs} ms,` +
            ` marked down ${figures.markedDownMs} ms,` +
            ` kernel TCP-memory resets ${figures.kernelAbortsOnMemory}\n`,
        );
      }
    }
    const rows = [
      '| server | client errors (sum, of requests) | long downloads intact | last new request to the drained node, ms (median, min–max) | HAProxy marked it down, ms |',
      '| --- | --- | --- | --- | --- |',
    ];
    for (const [label, runs] of results) {
      const errors = runs.reduce((sum, f) => sum + f.clientErrors, 0);
      const requests = runs.reduce((sum, f) => sum + f.requests, 0);
      const intact = runs.reduce((sum, f) => sum + f.longIntact, 0);
      const total = runs.reduce((sum, f) => sum + f.longTotal, 0);
      rows.push(
        `| ${label} | ${errors} of ${requests} | ${intact} of ${total} | ` +
          `${cell(runs.flatMap((f) => (f.lastRequestToDrainedMs === null ? [] : [f.lastRequestToDrainedMs])))} | ` +
          `${cell(runs.flatMap((f) => (f.markedDownMs === null ? [] : [f.markedDownMs])))} |`,
      );
    }
    process.stdout.write(
      `HAProxy ${inter} ms checks, fall 3; ${rounds} rounds; 20 long downloads of ` +
        `${LONG_BYTES / 1024 / 1024} MiB at ${RATE_BYTES_PER_SEC / 1024} KiB/s each` +
        `${values['long-close'] ? ', saying Connection: close' : ', keep-alive'}\n\n${rows.join('\n')}\n`,
    );
  } finally {
    await stopAllChildren();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
