/**
 * Two mirror nodes behind Debian's real HAProxy on loopback, health-checked on their readiness
 * port, a steady mixed load and long throttled downloads through it; one node is drained and the
 * figures say what the clients saw. Shared by the integration test (ebb, `npm test`) and
 * `npm run bench:haproxy` (ebb with several drain delays, and nginx).
 *
 * HAProxy names the node of each response (`X-Served-By`), so the client side knows which node
 * served what and when: the time until the drained node got no new request is measured there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { freePort } from '../../bench/ports.js';
import { LineFollower } from './ebb-process.js';
import type { Fixture } from './fixtures.js';
import { tcpAbortsOnMemory } from './tcp-aborts.js';

/** One backend node: where HAProxy sends requests and checks, and how to drain it. */
export interface MirrorNode {
  readonly name: string;
  readonly port: number;
  /** Where HAProxy's `option httpchk` goes (`check port`): ebb's admin listener. */
  readonly checkPort: number;
  /** The path HAProxy checks. */
  readonly checkPath: string;
  /** Sends the drain signal (SIGINT for ebb, SIGQUIT for nginx). */
  readonly drain: () => void;
  /** Resolves once the node's process has exited. */
  readonly exited: Promise<unknown>;
}

export interface ScenarioInput {
  readonly nodes: readonly [drained: MirrorNode, peer: MirrorNode];
  readonly workDir: string;
  /** HAProxy's check interval (`inter`); `fall 3 rise 2`, HAProxy's defaults. */
  readonly checkIntervalMs: number;
  /** The steady load's files (fetched in turn) and the long download's. */
  readonly smallFiles: readonly Fixture[];
  readonly longFile: Fixture;
  readonly longDownloads: number;
  /** The long downloads say `Connection: close` (default: keep-alive, as browsers and curl). */
  readonly longConnectionClose?: boolean;
  /** Steady-load clients, each one request at a time with this pause between. */
  readonly loadClients: number;
  readonly loadPauseMs: number;
  /** Resolves once the node to drain has been health-checked long enough (its own signs). */
  readonly checkedLongEnough: () => Promise<void>;
}

export interface ScenarioFigures {
  readonly requests: number;
  /** Steady-load requests that failed: a connect error, a reset, a status but 200, wrong bytes. */
  readonly clientErrors: number;
  readonly errorKinds: Readonly<Record<string, number>>;
  readonly longTotal: number;
  readonly longIntact: number;
  readonly longFailures: readonly string[];
  /** Long downloads the drained node was serving when the drain began. */
  readonly longOnDrained: number;
  /** From the drain signal to the start of the last request the drained node answered. */
  readonly lastRequestToDrainedMs: number | null;
  /** From the drain signal to HAProxy's `Server …/a is DOWN`. */
  readonly markedDownMs: number | null;
  /** Steady-load requests the peer answered after the drain signal. */
  readonly peerRequestsAfter: number;
  /**
   * Connections the kernel reset for want of TCP memory while the long downloads ran, machine-wide
   * (tcp-aborts.ts): HAProxy's closed client sockets with bytes still queued are among them, so a
   * long download cut then was cut by the kernel. null where the kernel does not say.
   */
  readonly kernelAbortsOnMemory: number | null;
}

/** HAProxy marks a node down within `fall` checks of its drain; this is far beyond that. */
const MARKED_DOWN_WAIT_MS = 10_000;

interface Outcome {
  readonly startedAtMs: number;
  readonly server: string | null;
  readonly error: string | null;
}

const HAPROXY_CONFIG = (front: number, input: ScenarioInput): string =>
  [
    'global',
    '  log stderr format raw local0 info',
    'defaults',
    '  mode http',
    '  log global',
    '  option log-health-checks',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    'frontend front',
    `  bind 127.0.0.1:${front}`,
    '  default_backend mirrors',
    'backend mirrors',
    '  balance roundrobin',
    `  option httpchk GET ${input.nodes[0].checkPath}`,
    '  http-response set-header X-Served-By %[srv_name]',
    `  default-server inter ${input.checkIntervalMs}ms fall 3 rise 2`,
    ...input.nodes.map(
      (node) => `  server ${node.name} 127.0.0.1:${node.port} check port ${node.checkPort}`,
    ),
    '',
  ].join('\n');

interface Haproxy {
  readonly child: ChildProcess;
  readonly port: number;
  readonly log: LineFollower;
  stop(): Promise<void>;
}

async function startHaproxy(input: ScenarioInput): Promise<Haproxy> {
  const port = await freePort();
  const config = join(input.workDir, 'haproxy.cfg');
  await writeFile(config, HAPROXY_CONFIG(port, input));
  const child = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = new LineFollower(child.stderr);
  child.stdout.resume();
  const exited = once(child, 'exit');
  return {
    child,
    port,
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One GET through HAProxy: which node answered, and whether the bytes are the file's. */
function fetchThrough(port: number, agent: Agent, file: Fixture): Promise<Outcome> {
  const startedAtMs = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: `/${file.name}`, agent }, (res) => {
      const hash = createHash('sha256');
      res.on('data', (chunk: Buffer) => hash.update(chunk));
      res.on('error', (error) => resolve({ startedAtMs, server: null, error: error.message }));
      res.on('end', () => {
        const server =
          typeof res.headers['x-served-by'] === 'string' ? res.headers['x-served-by'] : null;
        const error =
          res.statusCode !== 200
            ? `status ${res.statusCode}`
            : hash.digest('hex') !== file.sha256
              ? 'wrong bytes'
              : null;
        resolve({ startedAtMs, server, error });
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ startedAtMs, server: null, error: error.code ?? error.message }),
    );
    req.end();
  });
}

/** The steady load: clients fetching the small files in turn until stopped. */
function startLoad(port: number, input: ScenarioInput) {
  const agent = new Agent({ keepAlive: true, maxSockets: input.loadClients });
  const outcomes: Outcome[] = [];
  const watchers: Array<() => void> = [];
  let running = true;
  const client = async (offset: number): Promise<void> => {
    for (let i = offset; running; i++) {
      const file = input.smallFiles[i % input.smallFiles.length];
      if (file === undefined) return;
      outcomes.push(await fetchThrough(port, agent, file));
      for (const watcher of watchers) watcher();
      await new Promise((resolve) => setTimeout(resolve, input.loadPauseMs));
    }
  };
  const clients = Array.from({ length: input.loadClients }, (_, i) => client(i));
  return {
    outcomes,
    /** Resolves once `holds()` is true after some request ended. */
    until(holds: () => boolean): Promise<void> {
      if (holds()) return Promise.resolve();
      return new Promise((resolve) => {
        const watcher = (): void => {
          if (!holds()) return;
          watchers.splice(watchers.indexOf(watcher), 1);
          resolve();
        };
        watchers.push(watcher);
      });
    },
    async stop(): Promise<void> {
      running = false;
      await Promise.all(clients);
      agent.destroy();
    },
  };
}

interface LongDownload {
  /** Resolves with the node serving it once its head has arrived. */
  readonly started: Promise<string | null>;
  /** null when it arrived whole and right, else what went wrong. */
  readonly failure: Promise<string | null>;
}

/** `close`: each request says `Connection: close` (Node's `agent: false`), as wget does. */
function startLongDownload(port: number, file: Fixture, close: boolean): LongDownload {
  const agent = close ? false : new Agent({ keepAlive: true });
  let onStarted!: (server: string | null) => void;
  const started = new Promise<string | null>((resolve) => (onStarted = resolve));
  const failure = new Promise<string | null>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: `/${file.name}`, agent }, (res) => {
      const server = res.headers['x-served-by'];
      onStarted(typeof server === 'string' ? server : null);
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      res.on('error', (error) => resolve(`${String(server)}: ${error.message} after ${bytes} B`));
      res.on('end', () => {
        const right = res.statusCode === 200 && hash.digest('hex') === file.sha256;
        resolve(right ? null : `${String(server)}: status ${res.statusCode}, ${bytes} B`);
      });
    });
    req.on('error', (error) => {
      onStarted(null);
      resolve(error.message);
    });
    req.end();
  });
  return { started, failure };
}

/** Runs the scenario once; the caller has started both nodes and stops the peer afterwards. */
export async function runHaproxyDrain(input: ScenarioInput): Promise<ScenarioFigures> {
  const [drained, peer] = input.nodes;
  const haproxy = await startHaproxy(input);
  const load = startLoad(haproxy.port, input);
  try {
    const served = (name: string): boolean => load.outcomes.some((o) => o.server === name);
    // Warm-up: until HAProxy answers from both nodes (before it listens, connects are refused).
    await load.until(() => served(drained.name) && served(peer.name));
    const firstCounted = load.outcomes.length;
    const abortsBefore = await tcpAbortsOnMemory();
    const longs = Array.from({ length: input.longDownloads }, () =>
      startLongDownload(haproxy.port, input.longFile, input.longConnectionClose === true),
    );
    const longServers = await Promise.all(longs.map((d) => d.started));
    await input.checkedLongEnough();
    const drainAtMs = Date.now();
    const markedDown = haproxy.log
      .waitFor(new RegExp(`Server mirrors/${drained.name} is DOWN`), MARKED_DOWN_WAIT_MS)
      .then(() => Date.now() - drainAtMs)
      .catch(() => null);
    drained.drain();
    await drained.exited;
    // Traffic has moved: the peer answers the steady load after the drained node is gone.
    const exitedAt = load.outcomes.length;
    await load.until(
      () => load.outcomes.slice(exitedAt).filter((o) => o.server === peer.name).length >= 20,
    );
    const failures = (await Promise.all(longs.map((d) => d.failure))).filter((f) => f !== null);
    const abortsAfter = await tcpAbortsOnMemory();
    await load.stop();
    const counted = load.outcomes.slice(firstCounted);
    const errorKinds: Record<string, number> = {};
    for (const o of counted) {
      if (o.error !== null) errorKinds[o.error] = (errorKinds[o.error] ?? 0) + 1;
    }
    const lastOnDrained = counted
      .filter((o) => o.server === drained.name && o.error === null)
      .reduce<number | null>((last, o) => Math.max(last ?? -Infinity, o.startedAtMs), null);
    return {
      requests: counted.length,
      clientErrors: counted.filter((o) => o.error !== null).length,
      errorKinds,
      longTotal: longs.length,
      longIntact: longs.length - failures.length,
      longFailures: failures,
      longOnDrained: longServers.filter((server) => server === drained.name).length,
      lastRequestToDrainedMs:
        lastOnDrained === null ? null : Math.max(0, lastOnDrained - drainAtMs),
      markedDownMs: await markedDown,
      peerRequestsAfter: counted.filter((o) => o.server === peer.name && o.startedAtMs >= drainAtMs)
        .length,
      kernelAbortsOnMemory:
        abortsBefore === null || abortsAfter === null ? null : abortsAfter - abortsBefore,
    };
  } finally {
    await load.stop();
    await haproxy.stop();
  }
}
