/**
 * `npm run bench`: ebb against nginx, lighttpd, express and fastify on loopback, in interleaved
 * rounds; prints one table and writes it to bench/results/<timestamp>.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAllChildrenNow, stopAllChildren } from './children.js';
import { enablePinning } from './cpu-pinning.js';
import { buildDocroot } from './docroot.js';
import { listFigures, listTargets, type FigurePlan } from './figures.js';
import {
  canMakeMirrorNet,
  isInsideMirrorNet,
  netDescription,
  rerunInMirrorNet,
  type BenchNet,
} from './mirror-net.js';
import { parseBenchOptions, type BenchOptions, type ServerName } from './options.js';
import { ensurePrerequisites } from './prereqs.js';
import { Results } from './results.js';
import { EBB_BIN, EBB_MAIN, isEbbBuilt, serverSpec } from './servers.js';
import {
  runMirrorMixSession,
  runRequestSession,
  runSlowSession,
  type SessionContext,
} from './sessions.js';
import { SectionClock } from './section-clock.js';
import { renderTable } from './table.js';
import { runTlsSections } from './tls-sections.js';

const SLOW_SERVERS: readonly ServerName[] = ['ebb', 'nginx', 'lighttpd'];
const FD_LIMIT_CAP = 65536;
/** Descriptors a server needs besides one socket and one file per download. */
const FD_RESERVE = 128;

function hardFdLimit(): number {
  const text = spawnSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return text === 'unlimited' ? FD_LIMIT_CAP : Math.min(FD_LIMIT_CAP, Number(text));
}

/** Slow-client counts a server can hold under the fd limit (a socket and a file per download). */
function plannedSlowCounts(options: BenchOptions, fdLimit: number, results: Results): number[] {
  const ceiling = Math.floor((fdLimit - FD_RESERVE) / 2);
  return options.slowCounts.map((count) => {
    if (count <= ceiling) return count;
    results.note(
      `${count} slow clients capped to ${ceiling}: the fd hard limit here is ${fdLimit} ` +
        '(ulimit -Hn; raising it needs CAP_SYS_RESOURCE) and a server holds a socket and a file per download',
    );
    return ceiling;
  });
}

function isEbbRunnable(): boolean {
  if (!isEbbBuilt()) return false;
  return spawnSync(EBB_BIN, ['serve', '--help'], { stdio: 'ignore' }).status === 0;
}

function availableServers(options: BenchOptions, results: Results): ServerName[] {
  return options.servers.filter((name) => {
    if (name !== 'ebb' || isEbbRunnable()) return true;
    results.note(`ebb skipped: ${EBB_MAIN} does not run "serve --help" (build src first)`);
    return false;
  });
}

async function runRequestRounds(context: SessionContext, servers: readonly ServerName[]) {
  const { options } = context;
  if (['wrk', 'listing', 'large'].every((section) => options.skip.has(section as never))) return;
  const floor: ServerName[] = options.requestFloor && !options.skip.has('wrk') ? ['node-http'] : [];
  for (let round = 1; round <= options.rounds; round += 1) {
    console.log(`bench: request round ${round}/${options.rounds}`);
    for (const name of [...servers, ...floor]) {
      const spec = serverSpec(name);
      await runRequestSession(spec, context, 'off');
      if (spec.canToggleLog && !options.skip.has('wrk')) {
        await runRequestSession(spec, context, 'on');
      }
    }
  }
}

async function runSlowRounds(
  context: SessionContext,
  servers: readonly ServerName[],
  plan: FigurePlan,
) {
  const { options } = context;
  if (options.skip.has('slow')) return;
  for (const [index, count] of plan.slowCounts.entries()) {
    const rounds = plan.slowRoundsByCount.get(count) ?? 1;
    const peers: ServerName[] = index === 0 && options.slowPeers ? ['express', 'fastify'] : [];
    const slowServers = servers.filter(
      (name) => SLOW_SERVERS.includes(name) || peers.includes(name),
    );
    if (index === 0 && options.slowFloor) slowServers.push('node-floor');
    const isLargest = index === plan.slowCounts.length - 1;
    for (let round = 1; round <= rounds; round += 1) {
      console.log(`bench: ${count} slow clients, round ${round}/${rounds}`);
      for (const name of slowServers) {
        const probeStatus = name === 'ebb' && isLargest && !options.skip.has('status');
        await runSlowSession(serverSpec(name), context, count, probeStatus);
      }
    }
  }
}

async function runMixRounds(
  context: SessionContext,
  servers: readonly ServerName[],
  plan: FigurePlan,
) {
  const { options } = context;
  const count = plan.slowCounts[0];
  if (options.skip.has('mix') || count === undefined) return;
  for (let round = 1; round <= options.rounds; round += 1) {
    console.log(`bench: mirror mix beside ${count} slow clients, round ${round}/${options.rounds}`);
    for (const name of servers.filter((server) => SLOW_SERVERS.includes(server))) {
      await runMirrorMixSession(serverSpec(name), context, count);
    }
  }
}

function machineLine(fdLimit: number): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} x ${cpu}, Node ${process.version}, fd limit ${fdLimit}`;
}

function writeReport(table: string, header: string, notes: readonly string[]): string {
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `${stamp}.md`);
  const noteText = notes.length === 0 ? '' : `\n\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`;
  writeFileSync(path, `# ebb bench ${stamp}\n\n${header}\n\n${table}${noteText}\n`);
  return path;
}

/**
 * The network this process runs the bench on, or null once it ran the bench again inside the
 * namespace (mirror-net.ts) and that run has ended.
 */
async function chooseNet(
  options: BenchOptions,
  argv: readonly string[],
  results: Results,
): Promise<BenchNet | null> {
  if (isInsideMirrorNet()) return 'mirror';
  if (options.net === 'host') return 'host';
  if (!canMakeMirrorNet()) {
    results.note(
      'the private network namespace could not be made (`unshare -n` needs root, and `ip`): ' +
        'run on the host loopback, whose 64 KiB MTU lets the kernel queue megabytes per slow client',
    );
    return 'host';
  }
  process.exitCode = await rerunInMirrorNet(fileURLToPath(import.meta.url), argv);
  return null;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseBenchOptions(argv);
  // Outside the namespace: apt-get needs the network.
  ensurePrerequisites();
  const results = new Results();
  const net = await chooseNet(options, argv, results);
  if (net === null) return;
  const isPinned = enablePinning(options.pin);
  const fdLimit = hardFdLimit();
  const slowCounts = plannedSlowCounts(options, fdLimit, results);
  const plan: FigurePlan = {
    slowCounts,
    slowRoundsByCount: new Map(
      slowCounts.map((count, index) => [
        count,
        index === slowCounts.length - 1 && slowCounts.length > 1 ? 1 : options.rounds,
      ]),
    ),
    largeClients: options.largeClients,
    holdS: options.slowHoldS,
  };
  const servers = availableServers(options, results);
  const workDir = mkdtempSync(join(tmpdir(), 'ebb-bench-'));
  const cleanUp = () => rmSync(workDir, { recursive: true, force: true });
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`bench: ${signal}: stopping servers and clients`);
    void stopAllChildren().finally(() => {
      cleanUp();
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllChildrenNow);
  const startedMs = Date.now();
  const clock = new SectionClock();
  let tlsSections = '';
  try {
    const root = join(workDir, 'root');
    mkdirSync(root);
    await clock.time('docroot', () => buildDocroot(root, options.bigFileBytes));
    const context: SessionContext = { options, results, launch: { root, workDir, fdLimit } };
    await clock.time('requests', () => runRequestRounds(context, servers));
    await clock.time('slow', () => runSlowRounds(context, servers, plan));
    await clock.time('mix', () => runMixRounds(context, servers, plan));
    tlsSections = await runTlsSections(context, servers, clock);
  } finally {
    await stopAllChildren();
    cleanUp();
  }
  const tableServers: ServerName[] = [
    ...servers,
    ...(options.requestFloor ? ['node-http' as const] : []),
    ...(options.slowFloor ? ['node-floor' as const] : []),
  ];
  const table =
    renderTable(listFigures(plan), listTargets(plan), tableServers, results) + tlsSections;
  const minutes = ((Date.now() - startedMs) / 60_000).toFixed(1);
  const header =
    `\`npm run bench -- ${argv.join(' ')}\` on ${new Date().toISOString()}, ${minutes} min; ` +
    `${machineLine(fdLimit)}; rounds ${options.rounds}; wrk -t1 -c${options.wrkConnections} ` +
    `-d${options.wrkDurationS}s; slow clients ${options.slowRateBytesPerS} B/s, SO_RCVBUF ` +
    `${options.slowRcvbufBytes}, held ${options.slowHoldS} s; ` +
    (isPinned ? 'servers on CPU 0, clients on CPU 1' : 'no CPU pinning') +
    `; ${netDescription(net)}` +
    `; sections: ${clock.summary()}.`;
  console.log(`\n${header}\n\n${table}\n`);
  for (const note of results.notes) console.log(`note: ${note}`);
  console.log(`\nbench: wrote ${writeReport(table, header, results.notes)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
