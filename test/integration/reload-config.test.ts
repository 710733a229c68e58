/**
 * Reload (issue 11) against the real process: `ebb reload`, SIGHUP, with a client opening a new
 * connection every 5 ms throughout, counting refused connections, resets and wrong bytes.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnEbb, startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import {
  connectTo,
  download,
  isRefused,
  readResponse,
  requestText,
} from '../helpers/http-client.js';
import { adminPortOf } from '../helpers/admin.js';
import { describeCounts, startProber } from '../helpers/prober.js';

after(stopAll);

const dir = await makeTempDir();
after(dir.remove);
const rootA = join(dir.path, 'a');
const rootB = join(dir.path, 'b');
await Promise.all([mkdir(rootA), mkdir(rootB)]);
const smallA = await writeRandomFile(rootA, 'small.bin', 2048);
const smallB = await writeRandomFile(rootB, 'small.bin', 2048);
const bigA = await writeRandomFile(rootA, 'big.iso', 4 * 1024 * 1024);
const configPath = join(dir.path, 'ebb.toml');

async function writeConfig(lines: Record<string, string>): Promise<void> {
  const text = Object.entries(lines)
    .map(([key, value]) => `${key} = ${value}`)
    .join('\n');
  await writeFile(configPath, `${text}\n`);
}

const tokenFile = join(dir.path, 'admin.token');
const base = {
  'access-log': '"off"',
  admin: '"127.0.0.1:0"',
  'admin-token-file': JSON.stringify(tokenFile),
};

async function runReload(adminPort: number) {
  const cli = spawnEbb([
    'reload',
    '--admin',
    `127.0.0.1:${adminPort}`,
    '--admin-token-file',
    tokenFile,
  ]);
  const exit = await cli.exited;
  return { code: exit.code, out: cli.stdout.text(), err: cli.stderr.text() };
}

test('reload: a new root, a listener added and one removed; nothing refused, reset or wrong; in-flight download on the removed listener finishes', async (t) => {
  await writeConfig({
    ...base,
    root: JSON.stringify(rootA),
    listen: '["127.0.0.1:0", "127.0.0.2:0"]',
  });
  const server = await startEbb(['--config', configPath]);
  const [kept = 0, removed = 0] = server.ports;
  const adminPort = adminPortOf(server.stderr.lines);

  // On the listener the reload removes, read at 1 MiB/s: still in flight during the reload.
  const onRemoved = await connectTo(removed, '127.0.0.2');
  let headSeen!: () => void;
  const gotHead = new Promise<void>((resolve) => (headSeen = resolve));
  const held = readResponse(onRemoved, { bytesPerSecond: 1024 * 1024, onHead: () => headSeen() });
  onRemoved.write(requestText('/big.iso'));
  await gotHead;
  const keepAlive = await connectTo(kept);
  const first = readResponse(keepAlive);
  keepAlive.write(requestText('/small.bin'));
  assert.equal((await first).sha256, smallA.sha256);

  const prober = startProber(kept, '/small.bin', [smallA.data, smallB.data]);
  t.after(() => prober.stop());
  await prober.after(60);
  await writeConfig({
    ...base,
    root: JSON.stringify(rootB),
    listen: '["127.0.0.1:0", "127.0.0.3:0"]',
  });
  const result = await runReload(adminPort);
  assert.equal(result.code, 0, result.out + result.err);
  assert.match(result.out, new RegExp(`root: "${rootA}" → "${rootB}"`));
  assert.match(result.out, /listen: \+ 127\.0\.0\.3:0, - 127\.0\.0\.2:0/);
  await prober.after(60);
  const counts = await prober.stop();
  t.diagnostic(describeCounts('5 ms client during a reload', counts));
  assert.deepEqual(
    { refused: counts.refused, reset: counts.reset, wrong: counts.wrongBytes },
    { refused: 0, reset: 0, wrong: 0 },
  );
  assert.equal(counts.ok, counts.tried);

  const addedPort = Number(
    /listening on 127\.0\.0\.3:(\d+)/.exec(
      await server.stderr.waitFor(/listening on 127\.0\.0\.3:/),
    )?.[1],
  );
  assert.equal((await download(kept, '/small.bin')).sha256, smallB.sha256);
  const onAdded = await connectTo(addedPort, '127.0.0.3');
  const fromAdded = readResponse(onAdded);
  onAdded.write(requestText('/small.bin'));
  assert.equal((await fromAdded).sha256, smallB.sha256);
  onAdded.destroy();
  assert.equal(await isRefused(removed, '127.0.0.2'), true, 'the removed listener is closed');
  // The keep-alive connection opened before the reload: its next request sees the new root.
  const second = readResponse(keepAlive);
  keepAlive.write(requestText('/small.bin'));
  assert.equal((await second).sha256, smallB.sha256);
  keepAlive.destroy();
  // The download on the removed listener began under the old root and finishes intact.
  const done = await held;
  assert.equal(done.sha256, bigA.sha256);
  onRemoved.destroy();
});

test('reload: a broken config changes nothing, reports every problem, exit 2; SIGHUP the same', async (t) => {
  await writeConfig({ ...base, root: JSON.stringify(rootA), listen: '["127.0.0.1:0"]' });
  const server = await startEbb(['--config', configPath]);
  const adminPort = adminPortOf(server.stderr.lines);
  const prober = startProber(server.port, '/small.bin', [smallA.data]);
  t.after(() => prober.stop());
  await prober.after(40);

  // Three problems at once: a missing root, an address in use, an access log that cannot open.
  await writeConfig({
    admin: '"127.0.0.1:0"',
    'admin-token-file': JSON.stringify(tokenFile),
    root: JSON.stringify(join(dir.path, 'missing')),
    listen: `["127.0.0.1:0", "127.0.0.1:${adminPort}"]`,
    'access-log': JSON.stringify(join(dir.path, 'no-such-folder', 'access.log')),
  });
  const broken = await runReload(adminPort);
  assert.equal(broken.code, 2, broken.out + broken.err);
  assert.match(broken.out, /unchanged/);
  assert.match(broken.out, /document root .*missing does not exist/);
  assert.match(
    broken.out,
    new RegExp(`cannot listen on 127\\.0\\.0\\.1:${adminPort}: address already in use`),
  );
  assert.match(broken.out, /cannot open access log .*access\.log: ENOENT/);

  // A bad value: the config check's own message, exit 2.
  await writeConfig({ ...base, root: JSON.stringify(rootA), listen: '["nope:99999"]' });
  const invalid = await runReload(adminPort);
  assert.equal(invalid.code, 2);
  assert.match(invalid.out, /listen\[0\] "nope:99999": expected/);

  server.child.kill('SIGHUP');
  await server.stderr.waitFor(/reload \(SIGHUP\) refused/);

  await prober.after(40);
  const counts = await prober.stop();
  t.diagnostic(describeCounts('5 ms client during refused reloads', counts));
  assert.equal(counts.ok, counts.tried, describeCounts('probes', counts));
  assert.equal((await download(server.port, '/small.bin')).sha256, smallA.sha256);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
});
