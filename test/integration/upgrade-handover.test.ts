/**
 * Upgrade (issue 11) against real processes: the running ebb starts a new one, hands it the
 * sockets and drains. A client opening a new connection every 5 ms counts refused connections,
 * resets and wrong bytes throughout; throttled downloads started before the upgrade finish
 * intact on the old process, which then exits 0; new connections are served by the new pid.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnEbb, startEbb, stopAll, pidsKilledAfter } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { connectTo, readResponse, requestText } from '../helpers/http-client.js';
import { adminFetch } from '../helpers/admin.js';
import { startWithAdmin, throttledDownload } from '../helpers/live-server.js';
import { describeCounts, startProber } from '../helpers/prober.js';

const newPids = pidsKilledAfter();
after(stopAll);

const dir = await makeTempDir();
after(dir.remove);
const root = join(dir.path, 'root');
await mkdir(root);
const small = await writeRandomFile(root, 'small.bin', 2048);
const big = await writeRandomFile(root, 'big.iso', 1024 * 1024);

// A fixed token file: each new generation writes its own token there, the CLI reads it.
const tokenFile = join(dir.path, 'admin.token');
const tokenNow = (): string => readFileSync(tokenFile, 'utf8').trim();

interface StatusJson {
  readonly pid: number;
  readonly connections: readonly { readonly client: string }[];
  readonly olderGenerations: readonly { readonly pid: number; readonly state: string }[];
}

async function status(adminPort: number): Promise<StatusJson> {
  const response = await adminFetch(adminPort, 'GET', '/status', { token: tokenNow() });
  return JSON.parse(response.body) as StatusJson;
}

async function runUpgrade(adminPort: number) {
  const cli = spawnEbb([
    'upgrade',
    '--admin',
    `127.0.0.1:${adminPort}`,
    '--admin-token-file',
    tokenFile,
  ]);
  const exit = await cli.exited;
  const out = cli.stdout.text();
  const pid = Number(/new ebb \(pid (\d+)\)/.exec(out)?.[1] ?? 0);
  if (pid > 0) newPids.add(pid);
  return { code: exit.code, out: out + cli.stderr.text(), pid };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('upgrade: 20 throttled downloads finish intact on the old process (exit 0); the 5 ms client sees nothing refused, reset or wrong; new connections go to the new pid', async (t) => {
  const pidFile = join(dir.path, 'ebb.pid');
  const { server, adminPort } = await startWithAdmin(
    root,
    '--admin-token-file',
    tokenFile,
    '--pid-file',
    pidFile,
  );
  // 1 MiB at 100–157 KB/s: 7–10 s each, so all are still in flight when the upgrade is done.
  const downloads = Array.from({ length: 20 }, (_, i) =>
    throttledDownload(server.port, '/big.iso', 100_000 + i * 3_000),
  );
  let finished = 0;
  for (const d of downloads) void d.result.then(() => finished++);
  await Promise.all(downloads.map((d) => d.gotHead));

  const prober = startProber(server.port, '/small.bin', [small.data]);
  t.after(() => prober.stop());
  await prober.after(40);
  const upgraded = await runUpgrade(adminPort);
  assert.equal(upgraded.code, 0, upgraded.out);
  assert.notEqual(upgraded.pid, server.pid);
  assert.equal(finished, 0, 'every download is still in flight on the old ebb');
  assert.equal((await readFile(pidFile, 'utf8')).trim(), String(upgraded.pid));
  assert.equal((await readFile(`${pidFile}.oldbin`, 'utf8')).trim(), String(server.pid));
  await prober.after(100);

  // A connection opened after the hand-over is one of the new process's connections.
  const socket = await connectTo(server.port);
  const fresh = readResponse(socket, { bytesPerSecond: 200_000 });
  socket.write(requestText('/big.iso'));
  const seen = await status(adminPort);
  assert.equal(seen.pid, upgraded.pid);
  assert.ok(
    seen.connections.some((c) => c.client === `127.0.0.1:${socket.localPort}`),
    `the new ebb holds the connection opened after the upgrade: ${JSON.stringify(seen.connections)}`,
  );
  assert.deepEqual(
    seen.olderGenerations.map((g) => g.pid),
    [server.pid],
    'the old ebb is shown while it drains',
  );

  const results = await Promise.all(downloads.map((d) => d.result));
  for (const result of results) assert.equal(result.sha256, big.sha256);
  const exit = await server.exited;
  assert.equal(exit.code, 0, server.stderr.text());
  // The 20, and the 5 ms client's requests that were in flight at the hand-over.
  const completed = Number(
    /drain finished .* (\d+) downloads completed/.exec(server.stderr.text())?.[1],
  );
  assert.ok(completed >= 20, server.stderr.text());
  assert.equal((await fresh).sha256, big.sha256);
  socket.destroy();

  await prober.after(40);
  const counts = await prober.stop();
  t.diagnostic(describeCounts('5 ms client during an upgrade', counts));
  assert.deepEqual(
    {
      refused: counts.refused,
      reset: counts.reset,
      wrong: counts.wrongBytes,
      stalled: counts.stalled,
    },
    { refused: 0, reset: 0, wrong: 0, stalled: 0 },
  );
  assert.equal(counts.ok, counts.tried);
  await assert.rejects(readFile(`${pidFile}.oldbin`), 'PIDFILE.oldbin is gone with the old ebb');
  assert.equal(isRunning(upgraded.pid), true);
  process.kill(upgraded.pid, 'SIGINT');
});

test('upgrade: a new ebb that exits at start is reported (exit 1); the old one keeps serving and accepting', async (t) => {
  const configPath = join(dir.path, 'failing.toml');
  const pidFile = join(dir.path, 'failing.pid');
  await writeFile(configPath, `root = ${JSON.stringify(root)}\n`);
  const { server, adminPort } = await startWithAdmin(
    root,
    '--admin-token-file',
    tokenFile,
    '--pid-file',
    pidFile,
    '--config',
    configPath,
  );
  const prober = startProber(server.port, '/small.bin', [small.data]);
  t.after(() => prober.stop());
  await prober.after(40);

  // The new ebb reads the config on disk, which is now broken: it exits at start.
  await writeFile(configPath, `root = ${JSON.stringify(root)}\nlisting = "sometimes"\n`);
  const failed = await runUpgrade(adminPort);
  assert.equal(failed.code, 1, failed.out);
  assert.match(failed.out, /upgrade failed; the running ebb keeps serving/);
  assert.match(failed.out, /listing "sometimes": expected/);
  assert.equal((await readFile(pidFile, 'utf8')).trim(), String(server.pid));
  await assert.rejects(readFile(`${pidFile}.oldbin`));

  await prober.after(60);
  const counts = await prober.stop();
  t.diagnostic(describeCounts('5 ms client during a failed upgrade', counts));
  assert.equal(counts.ok, counts.tried, describeCounts('probes', counts));
  assert.equal((await status(adminPort)).pid, server.pid);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
});

test('two upgrades in a row while the first old ebb still drains: every generation shown, every download intact', async (t) => {
  const { server, adminPort } = await startWithAdmin(root, '--admin-token-file', tokenFile);
  const prober = startProber(server.port, '/small.bin', [small.data]);
  t.after(() => prober.stop());
  const first = throttledDownload(server.port, '/big.iso', 200_000);
  await first.gotHead;
  const second = await runUpgrade(adminPort);
  assert.equal(second.code, 0, second.out);
  const middle = throttledDownload(server.port, '/big.iso', 250_000);
  await middle.gotHead;
  const third = await runUpgrade(adminPort);
  assert.equal(third.code, 0, third.out);
  assert.equal(isRunning(server.pid), true, 'the first ebb is still draining');

  // The newest shows both older generations once the middle one has reported (bounded wait).
  let older: readonly number[] = [];
  for (let i = 0; i < 50 && older.length < 2; i++) {
    older = (await status(adminPort)).olderGenerations.map((g) => g.pid);
    if (older.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(older, [second.pid, server.pid]);

  assert.equal((await first.result).sha256, big.sha256);
  assert.equal((await middle.result).sha256, big.sha256);
  assert.equal((await server.exited).code, 0);
  await prober.after(40);
  const counts = await prober.stop();
  t.diagnostic(describeCounts('5 ms client during two upgrades', counts));
  assert.equal(counts.ok, counts.tried, describeCounts('probes', counts));
  process.kill(third.pid, 'SIGINT');
});

test('upgrade with the admin socket beside the pid file: the socket file stays for each new ebb, no spare link is left', async () => {
  const sockDir = await makeTempDir('ebb-upgrade-sock-');
  after(sockDir.remove);
  const pidFile = join(sockDir.path, 'ebb.pid');
  const server = await startEbb([
    '--listen',
    '127.0.0.1:0',
    '--access-log',
    'off',
    '--pid-file',
    pidFile,
    root,
  ]);
  const runCli = async (...args: string[]) => {
    const cli = spawnEbb([...args, '--pid-file', pidFile]);
    const exit = await cli.exited;
    return { code: exit.code, out: cli.stdout.text() + cli.stderr.text() };
  };
  let previous = server.pid;
  for (let round = 0; round < 2; round++) {
    const upgraded = await runCli('upgrade');
    assert.equal(upgraded.code, 0, upgraded.out);
    const pid = Number(/new ebb \(pid (\d+)\)/.exec(upgraded.out)?.[1]);
    newPids.add(pid);
    const shown = await runCli('status');
    assert.equal(shown.code, 0, shown.out);
    assert.match(shown.out, new RegExp(`\\(pid ${pid}\\)`));
    assert.notEqual(pid, previous);
    previous = pid;
  }
  assert.deepEqual(
    (await readdir(sockDir.path)).filter((name) => name.includes('handover')),
    [],
  );
  const stopped = await runCli('stop');
  assert.equal(stopped.code, 0, stopped.out);
  assert.equal((await server.exited).code, 0);
});
