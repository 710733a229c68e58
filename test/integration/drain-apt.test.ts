/**
 * apt through a drain (issue 14, item 2): apt pipelines its downloads on one connection; a drain
 * that lands during the first must still answer the others it had sent, or apt retries, meets a
 * refused port and fails. The test builds a small repository (dpkg-deb, dpkg-scanpackages, a
 * Release file), serves it with ebb throttled per connection, and runs the machine's apt-get with
 * a scratch configuration (APT_CONFIG: its own sources, state, cache and no lock), so nothing of
 * the machine's apt state is read or changed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, sha256, writeRandomFile } from '../helpers/fixtures.js';
import { waitForLogLine } from '../helpers/raw-http.js';

after(stopAll);
const run = promisify(execFile);

const PACKAGES = 7;
const work = await makeTempDir('ebb-apt-');
after(work.remove);
const repo = join(work.path, 'repo');

/** Builds package `name` with a random payload; returns its .deb's file name. */
async function buildPackage(name: string): Promise<string> {
  const tree = join(work.path, 'build', name);
  await mkdir(join(tree, 'DEBIAN'), { recursive: true });
  await mkdir(join(tree, 'usr', 'share', name), { recursive: true });
  await writeRandomFile(join(tree, 'usr', 'share', name), 'data', 256 * 1024);
  const control = [
    `Package: ${name}`,
    'Version: 1.0',
    'Architecture: all',
    'Maintainer: ebb tests <tests@example.invalid>',
    `Description: ebb drain test package ${name}`,
    '',
  ].join('\n');
  await writeFile(join(tree, 'DEBIAN', 'control'), control);
  const deb = `${name}_1.0_all.deb`;
  await run('dpkg-deb', ['-Zgzip', '--build', tree, join(repo, deb)]);
  return deb;
}

/** A flat repository: the .debs, Packages from dpkg-scanpackages, an unsigned Release. */
async function buildRepository(names: readonly string[]): Promise<Map<string, string>> {
  await mkdir(repo, { recursive: true });
  const debs = await Promise.all(names.map((name) => buildPackage(name)));
  const { stdout: packages } = await run('dpkg-scanpackages', ['.', '/dev/null'], { cwd: repo });
  await writeFile(join(repo, 'Packages'), packages);
  const release = [
    'Origin: ebb-test',
    'Label: ebb-test',
    'Suite: stable',
    'Codename: ebbtest',
    `Date: ${new Date().toUTCString()}`,
    'Architectures: all amd64 arm64',
    'SHA256:',
    ` ${sha256(Buffer.from(packages))} ${Buffer.byteLength(packages)} Packages`,
    '',
  ].join('\n');
  await writeFile(join(repo, 'Release'), release);
  const sums = new Map<string, string>();
  for (const deb of debs) sums.set(deb, sha256(await readFile(join(repo, deb))));
  return sums;
}

/** apt's configuration for this test alone: every directory it reads or writes is scratch. */
async function scratchApt(port: number): Promise<NodeJS.ProcessEnv> {
  const dir = (...parts: string[]): string => join(work.path, 'apt', ...parts);
  for (const d of ['etc/apt.conf.d', 'etc/preferences.d', 'state/lists/partial', 'cache'])
    await mkdir(dir(d), { recursive: true });
  await writeFile(dir('state', 'status'), '');
  await writeFile(dir('etc', 'sources.list'), `deb [trusted=yes] http://127.0.0.1:${port}/ ./\n`);
  const settings: Array<[string, string]> = [
    ['Dir::Etc::sourcelist', dir('etc', 'sources.list')],
    ['Dir::Etc::sourceparts', dir('etc', 'none')],
    ['Dir::Etc::parts', dir('etc', 'apt.conf.d')],
    ['Dir::Etc::preferencesparts', dir('etc', 'preferences.d')],
    ['Dir::State', dir('state')],
    ['Dir::State::status', dir('state', 'status')],
    ['Dir::Cache', dir('cache')],
    ['Debug::NoLocking', '1'],
    ['APT::Sandbox::User', 'root'],
    ['Acquire::Languages', 'none'],
    ['Acquire::Retries', '0'],
    ['Acquire::http::Pipeline-Depth', '10'],
    ['Acquire::http::Proxy', 'DIRECT'],
  ];
  const conf = settings.map(([key, value]) => `${key} "${value}";`).join('\n');
  await writeFile(dir('apt.conf'), `${conf}\n`);
  return { ...process.env, APT_CONFIG: dir('apt.conf'), LC_ALL: 'C' };
}

test(`apt-get downloads ${PACKAGES} pipelined packages through a drain: every file intact, apt exits 0`, async () => {
  const names = Array.from({ length: PACKAGES }, (_, i) => `ebbtest${i + 1}`);
  const sums = await buildRepository(names);
  const log = join(work.path, 'access.log');
  const server = await startEbb([
    '--listen',
    '127.0.0.1:0',
    '--access-log',
    log,
    '--rate-per-connection',
    '512KB/s',
    repo,
  ]);
  const env = await scratchApt(server.port);
  await run('apt-get', ['update'], { env });

  const out = join(work.path, 'out');
  await mkdir(out);
  const apt = spawn('apt-get', ['download', '-o', 'Debug::Acquire::http=true', ...names], {
    cwd: out,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  apt.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  apt.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const aptExit = new Promise<number | null>((resolve) => apt.once('exit', resolve));
  // The first package is answered: drain now, with the other six still to answer.
  await waitForLogLine(log, /GET \/\.\/ebbtest\d_1\.0_all\.deb .* 200 /, 20_000);
  server.child.kill('SIGINT');

  assert.equal(await aptExit, 0, output);
  assert.equal((await server.exited).code, 0);
  // apt sent all its requests before the second answer: they were pipelined.
  const lines = output.split('\n');
  const gets = lines.flatMap((l, i) => (/^GET \/\.\/ebbtest/.test(l) ? [i] : []));
  const answers = lines.flatMap((l, i) => (/^HTTP\/1\.1 200/.test(l) ? [i] : []));
  assert.equal(gets.length, PACKAGES, output);
  assert.ok((gets.at(-1) ?? 0) < (answers[1] ?? 0), `not pipelined:\n${output}`);
  for (const [deb, sum] of sums) assert.equal(sha256(await readFile(join(out, deb))), sum, deb);
  assert.match(server.stderr.text(), /draining \(SIGINT\)/);
  const logged = (await readFile(log, 'utf8')).split('\n').filter((l) => l.includes('.deb '));
  console.log(`# apt: ${logged.length} packages answered, drain began after the first`);
});
