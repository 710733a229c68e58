/**
 * aria2c (Debian's) downloads one file through its `.meta4` from two real ebb nodes at once (each
 * the other's `--peer`, `--digests on`), verifies the sha-256 the metalink gives, and keeps going
 * when one node is drained mid-way: that node finishes its segment in flight, refuses new
 * connections, and aria2c takes the rest from the other.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { LineFollower, startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, sha256, writeRandomFile } from '../helpers/fixtures.js';
import { waitForLogLine } from '../helpers/raw-http.js';
import { freePort } from '../../bench/ports.js';

after(stopAll);

const SIZE = 6 * 1024 * 1024;
const dirs = await Promise.all([1, 2, 3, 4, 5].map(() => makeTempDir()));
for (const dir of dirs) after(dir.remove);
const [rootA, rootB, stateA, stateB, out] = dirs.map((dir) => dir.path) as [
  string,
  string,
  string,
  string,
  string,
];
const file = await writeRandomFile(rootA, 'debian.iso', SIZE);
await copyFile(join(rootA, file.name), join(rootB, file.name));
const longAgo = new Date('2025-01-01T00:00:00Z');
for (const root of [rootA, rootB]) await utimes(join(root, file.name), longAgo, longAgo);

// Two host names, as two mirrors have: aria2c counts connections per host, not per port. Each
// node is the other's peer, so A's port is chosen before B starts.
const common = ['--digests', 'on'];
const logB = join(stateB, 'access.log');
const logA = join(stateA, 'access.log');
const portA = await freePort();
const nodeB = await startEbb([
  ...['--listen', '[::1]:0', ...common, '--peer', `http://127.0.0.1:${portA}`],
  ...['--state-dir', stateB, '--access-log', logB, rootB],
]);
const nodeA = await startEbb([
  ...['--listen', `127.0.0.1:${portA}`, ...common],
  '--state-dir',
  stateA,
  '--access-log',
  logA,
  '--peer',
  `http://[::1]:${nodeB.port}`,
  rootA,
]);

function runAria2c(name: string, rate: string) {
  const aria2c = spawn(
    'aria2c',
    [
      `--dir=${out}`,
      '--allow-overwrite=true',
      '--auto-file-renaming=false',
      '--file-allocation=none',
      '--split=6',
      '--min-split-size=1M',
      '--max-connection-per-server=1',
      `--max-download-limit=${rate}`,
      '--summary-interval=1',
      '--console-log-level=warn',
      '--retry-wait=1',
      '--max-tries=5',
      '--follow-metalink=mem',
      `http://127.0.0.1:${nodeA.port}/${name}.meta4`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  after(() => {
    if (aria2c.exitCode === null) aria2c.kill('SIGKILL');
  });
  return aria2c;
}

async function digestKnown(name: string, sha: string): Promise<void> {
  await fetch(`http://127.0.0.1:${nodeA.port}/${name}`, { method: 'HEAD' });
  await waitForLogLine(join(stateA, 'digests-v1.log'), new RegExp(` ${sha}$`), 20_000);
}

test('a peer whose copy differs is caught: aria2c checks what it assembled against the sha-256', async () => {
  const good = await writeRandomFile(rootA, 'other.iso', SIZE);
  await writeRandomFile(rootB, 'other.iso', SIZE);
  for (const root of [rootA, rootB]) await utimes(join(root, good.name), longAgo, longAgo);
  await digestKnown(good.name, good.sha256);
  const aria2c = runAria2c(good.name, '2M');
  const output = new LineFollower(aria2c.stdout);
  const [code] = (await once(aria2c, 'exit')) as [number | null];
  assert.notEqual(code, 0, `aria2c accepted a spliced file:\n${output.text()}`);
  assert.match(output.text(), /checksum/i);
});

test('aria2c downloads through the .meta4 from both nodes, one drained mid-way, and verifies', async () => {
  // The digest is computed in the background once the file is asked for; wait until it is known.
  await digestKnown(file.name, file.sha256);
  const meta = await (await fetch(`http://127.0.0.1:${nodeA.port}/${file.name}.meta4`)).text();
  assert.match(meta, new RegExp(`<hash type="sha-256">${file.sha256}</hash>`));
  assert.match(meta, new RegExp(`<url priority="2">http://\\[::1\\]:${nodeB.port}/`));
  const metaB = await (await fetch(`http://[::1]:${nodeB.port}/${file.name}.meta4`)).text();
  assert.match(metaB, new RegExp(`<url priority="2">http://127\\.0\\.0\\.1:${portA}/`));

  const aria2c = runAria2c(file.name, '1M');
  const stdout = new LineFollower(aria2c.stdout);
  const stderr = new LineFollower(aria2c.stderr);
  const exited = once(aria2c, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  // Mid-way: both nodes are sending (CN:2) and the download is not yet half done.
  await stdout.waitFor(/\((?:[1-4]?\d)%\) CN:2/, 30_000);
  nodeB.child.kill('SIGINT');
  const [exitB] = await Promise.all([nodeB.exited, stdout.waitFor(/\(\d+%\)/)]);
  assert.equal(exitB.code, 0, 'node B drained: its segments in flight were delivered');

  const [code] = await exited;
  assert.equal(code, 0, `aria2c failed:\n${stdout.text()}\n${stderr.text()}`);
  assert.equal(sha256(await readFile(join(out, file.name))), file.sha256);
  const pathLine = new RegExp(`"GET /${file.name} HTTP/1.1" 206 `);
  await waitForLogLine(logA, pathLine);
  assert.match(await readFile(logB, 'utf8'), pathLine, 'node B served part of the file');
});
