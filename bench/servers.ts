/**
 * How each server is started on 127.0.0.1 with the generated docroot, and the handle to stop it.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { spawnWithFdLimit, stopChild } from './children.js';
import { pinned } from './cpu-pinning.js';
import type { LogMode } from './figures.js';
import type { ServerName } from './options.js';
import { freePort, HOST, waitForPort } from './ports.js';
import { lighttpdConf, nginxConf, type ConfigInput } from './server-configs.js';

export interface ServerSpec {
  readonly name: ServerName;
  readonly canToggleLog: boolean;
  readonly hasListing: boolean;
  /** Whether it serves every file of the docroot (node-http holds the wrk cases' files only). */
  readonly servesDocroot: boolean;
  /** The command line, after any config file it needs is written. */
  readonly prepare: (input: ConfigInput, adminPort: number) => Promise<readonly string[]>;
  /** A line on stderr that means ready; without one the port is probed. */
  readonly readyLine?: RegExp;
}

export interface LaunchInput {
  readonly root: string;
  readonly workDir: string;
  readonly log: LogMode;
  readonly fdLimit: number;
  readonly maxConnections: number;
}

export interface RunningServer {
  readonly name: ServerName;
  readonly pid: number;
  readonly baseUrl: string;
  readonly port: number;
  readonly adminUrl: string;
  readonly stop: () => Promise<void>;
  /** The last lines the server printed, for error reports. */
  readonly output: () => string;
}

const distDir = fileURLToPath(new URL('..', import.meta.url));
export const EBB_MAIN = join(distDir, 'src', 'cli', 'main.js');
/** What operators run: bin/ebb passes ebb's V8 flags to node. */
export const EBB_BIN = join(distDir, '..', 'bin', 'ebb');
const peerScript = (name: string) => join(distDir, 'bench', 'peers', `${name}.js`);

const SPECS: Record<ServerName, ServerSpec> = {
  ebb: {
    name: 'ebb',
    canToggleLog: true,
    hasListing: true,
    servesDocroot: true,
    readyLine: /serving/,
    prepare: (input, adminPort) =>
      Promise.resolve([
        EBB_BIN,
        'serve',
        '--allow-root', // the bench runs as root (CI); ebb refuses root otherwise (issue 10)
        '--listen',
        `${HOST}:${input.port}`,
        '--admin',
        `${HOST}:${adminPort}`,
        '--access-log',
        input.accessLogPath ?? 'off',
        input.root,
      ]),
  },
  nginx: {
    name: 'nginx',
    canToggleLog: true,
    hasListing: true,
    servesDocroot: true,
    prepare: async (input) => {
      const conf = join(input.workDir, 'nginx.conf');
      await writeFile(conf, nginxConf(input));
      const errorLog = join(input.workDir, 'nginx-error.log');
      return ['nginx', '-p', input.workDir, '-e', errorLog, '-c', conf, '-g', 'daemon off;'];
    },
  },
  lighttpd: {
    name: 'lighttpd',
    canToggleLog: true,
    hasListing: true,
    servesDocroot: true,
    prepare: async (input) => {
      const conf = join(input.workDir, 'lighttpd.conf');
      await writeFile(conf, lighttpdConf(input));
      return ['lighttpd', '-D', '-f', conf];
    },
  },
  express: {
    name: 'express',
    canToggleLog: false,
    hasListing: false,
    servesDocroot: true,
    prepare: (input) =>
      Promise.resolve([process.execPath, peerScript('express'), input.root, String(input.port)]),
  },
  'node-floor': {
    name: 'node-floor',
    canToggleLog: false,
    hasListing: false,
    servesDocroot: false,
    prepare: (input) =>
      Promise.resolve([process.execPath, peerScript('node-floor'), input.root, String(input.port)]),
  },
  'node-http': {
    name: 'node-http',
    canToggleLog: false,
    hasListing: false,
    servesDocroot: false,
    prepare: (input) =>
      Promise.resolve([process.execPath, peerScript('node-http'), input.root, String(input.port)]),
  },
  fastify: {
    name: 'fastify',
    canToggleLog: false,
    // @fastify/static's `list` answers /dir but 404s /dir/; the listing is compared with
    // nginx and lighttpd only.
    hasListing: false,
    servesDocroot: true,
    prepare: (input) =>
      Promise.resolve([process.execPath, peerScript('fastify'), input.root, String(input.port)]),
  },
};

export function serverSpec(name: ServerName): ServerSpec {
  return SPECS[name];
}

/** Whether ebb's CLI is built and answers `serve --help`; others are checked as prerequisites. */
export function isEbbBuilt(): boolean {
  return existsSync(EBB_MAIN);
}

function keepOutput(child: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail;
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => finish(new Error(`no ${pattern} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (pattern.test(seen)) finish(undefined);
    };
    const onExit = () => finish(new Error(`exited before printing ${pattern}`));
    function finish(error: Error | undefined) {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error === undefined) resolve();
      else reject(error);
    }
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

export async function startServer(spec: ServerSpec, launch: LaunchInput): Promise<RunningServer> {
  const port = await freePort();
  const adminPort = await freePort();
  const input: ConfigInput = {
    root: launch.root,
    workDir: launch.workDir,
    port,
    accessLogPath:
      launch.log === 'on' ? join(launch.workDir, `${spec.name}-access.log`) : undefined,
    fdLimit: launch.fdLimit,
    maxConnections: launch.maxConnections,
    runningAsRoot: process.getuid?.() === 0,
  };
  const argv = await spec.prepare(input, adminPort);
  const child = spawnWithFdLimit(pinned('server', argv), launch.fdLimit, {
    cwd: launch.workDir,
  });
  const output = keepOutput(child);
  const stop = () => stopChild(child);
  try {
    if (child.pid === undefined) throw new Error(`could not start ${argv.join(' ')}`);
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    if (spec.readyLine === undefined) await waitForPort(port, exited);
    else await waitForLine(child, spec.readyLine);
    return {
      name: spec.name,
      pid: child.pid,
      port,
      baseUrl: `http://${HOST}:${port}`,
      adminUrl: `http://${HOST}:${adminPort}`,
      stop,
      output,
    };
  } catch (error) {
    await stop();
    throw new Error(`${spec.name} did not start: ${String(error)}\n${output()}`, { cause: error });
  }
}
