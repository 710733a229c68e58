/**
 * The Debian package `npm run deb` builds, and the npm tarball: lintian finds no error, the
 * layout is as documented, the package extracted into a scratch root serves and drains from its
 * own /usr/bin/ebb, its units verify, its logrotate snippet rotates a live log, its man page
 * lists every setting; `npm pack` installs with `npm install -g` and runs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readlink, readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { download, startDownload } from '../helpers/http-client.js';
import { waitForLogLine } from '../helpers/raw-http.js';
import { SETTING_NAMES } from '../../src/config/settings.js';
import { unitCopies } from '../helpers/systemd.js';

after(stopAll);
const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

const work = await makeTempDir('ebb-deb-');
after(work.remove);
const { stdout: built } = await run(join(REPO, 'scripts/build-deb.sh'), [join(work.path, 'out')], {
  cwd: REPO,
  maxBuffer: 16 * 1024 * 1024,
});
const deb = built.trim().split('\n').at(-1) ?? '';
const scratch = join(work.path, 'root');
await run('dpkg-deb', ['-x', deb, scratch]);
const installedEbb = join(scratch, 'usr/bin/ebb');

const docs = await makeTempDir();
after(docs.remove);
const big = await writeRandomFile(docs.path, 'big.iso', 8 * 1024 * 1024);

test('lintian reports no error', async () => {
  // lintian exits non-zero on --fail-on error; warnings and info are printed, not fatal.
  const { stdout } = await run('lintian', ['--fail-on', 'error', deb], {
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.doesNotMatch(stdout, /^E: /m);
});

test('dpkg-deb --contents: /usr/bin/ebb, the code under /usr/lib/ebb, units, config, logrotate, man page', async (t) => {
  const { stdout } = await run('dpkg-deb', ['--contents', deb], { maxBuffer: 16 * 1024 * 1024 });
  const paths = stdout.split('\n').map((line) => line.split(/\s+/).slice(5).join(' '));
  const layout = paths.filter((p) => p !== '' && !p.includes('/node_modules/'));
  t.diagnostic(`contents (node_modules omitted):\n${layout.join('\n')}`);
  for (const path of [
    './usr/bin/ebb -> ../lib/ebb/bin/ebb',
    './usr/lib/ebb/bin/ebb',
    './usr/lib/ebb/package.json',
    './usr/lib/ebb/dist/src/cli/main.js',
    './usr/lib/ebb/node_modules/zod/package.json',
    './usr/lib/systemd/system/ebb.service',
    './usr/lib/systemd/system/ebb.socket',
    './usr/lib/systemd/system/ebb@.service',
    './etc/ebb/ebb.toml',
    './etc/logrotate.d/ebb',
    './usr/share/man/man1/ebb.1.gz',
    './usr/share/doc/ebb/copyright',
  ]) {
    assert.ok(paths.includes(path), `missing ${path}`);
  }
  assert.ok(!layout.some((p) => p.includes('/test/') || p.endsWith('.ts')), 'no tests or sources');
  const { stdout: control } = await run('dpkg-deb', ['--field', deb, 'Depends', 'Architecture']);
  assert.match(control, /^Depends: nodejs \(>= 20\), adduser$/m);
  assert.match(control, /^Architecture: all$/m);
  const { stdout: conffiles } = await run('dpkg-deb', ['--info', deb, 'conffiles']);
  assert.equal(conffiles, '/etc/ebb/ebb.toml\n/etc/logrotate.d/ebb\n');
});

test('installed into a scratch root: its /usr/bin/ebb serves a download and drains on SIGINT', async () => {
  assert.equal(await readlink(installedEbb), '../lib/ebb/bin/ebb');
  const server = await startEbb(['--listen', '127.0.0.1:0', '--access-log', 'off', docs.path], {
    bin: installedEbb,
  });
  const slow = startDownload(server.port, `/${big.name}`, { bytesPerSecond: 4_000_000 });
  await slow.started;
  server.child.kill('SIGINT');
  assert.equal((await slow.result).sha256, big.sha256);
  assert.deepEqual(await server.exited, { code: 0, signal: null });
});

test('the shipped ebb.toml is a valid configuration (ebb check reads it), the shipped units verify', async () => {
  const check = await run(installedEbb, [
    'check',
    '--config',
    join(scratch, 'etc/ebb/ebb.toml'),
  ]).then(
    () => ({ code: 0, stdout: '', stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  // On this machine /srv/mirror or /run/ebb may be missing; the file itself must be valid.
  assert.doesNotMatch(check.stderr, /invalid configuration|TOML syntax/);
  const units = await mkdir(join(work.path, 'units'), { recursive: true }).then(() =>
    unitCopies(join(work.path, 'units'), installedEbb),
  );
  const verify = await run('systemd-analyze', ['verify', '--man=no', ...units], {
    env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' },
  });
  assert.equal(`${verify.stdout}${verify.stderr}`, '');
});

test('the man page lists every setting of ebb serve --help', async () => {
  const { stdout } = await run('man', ['-l', join(scratch, 'usr/share/man/man1/ebb.1.gz')], {
    env: { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '' },
  });
  for (const name of SETTING_NAMES) {
    if (name !== 'root')
      assert.match(stdout, new RegExp(`--${name}\\b`), `man page lacks --${name}`);
  }
  assert.match(stdout, /EXIT STATUS/);
});

test('logrotate -f with the shipped snippet rotates the access log; ebb reopens it on SIGUSR1', async () => {
  const dir = join(work.path, 'rotate');
  await mkdir(join(dir, 'log'), { recursive: true });
  const snippet = (await readFile(join(scratch, 'etc/logrotate.d/ebb'), 'utf8'))
    .replaceAll('/var/log/ebb', join(dir, 'log'))
    .replace('/run/ebb/ebb.pid /run/ebb-*/ebb.pid', join(dir, 'ebb.pid'))
    .replace('create 0640 ebb adm', 'create 0640 root root');
  await writeFile(join(dir, 'logrotate.conf'), snippet);
  const log = join(dir, 'log', 'access.log');
  const server = await startEbb(
    ['--listen', '127.0.0.1:0', '--access-log', log, '--pid-file', join(dir, 'ebb.pid'), docs.path],
    { bin: installedEbb },
  );
  await download(server.port, '/before');
  await waitForLogLine(log, /"GET \/before HTTP\/1\.1" 404/);
  await run('logrotate', ['-f', '-s', join(dir, 'state'), join(dir, 'logrotate.conf')]);
  await server.stderr.waitFor(/SIGUSR1: reopening the access log/);
  assert.deepEqual((await readdir(join(dir, 'log'))).sort(), ['access.log', 'access.log.1']);
  assert.match(await readFile(`${log}.1`, 'utf8'), /GET \/before /);
  await download(server.port, '/after');
  const after = await waitForLogLine(log, /"GET \/after HTTP\/1\.1" 404/);
  assert.ok(after);
  assert.doesNotMatch(await readFile(log, 'utf8'), /\/before/);
  server.child.kill('SIGINT');
  await server.exited;
});

test('npm pack: the tarball (dependencies bundled) installs with npm install -g offline and runs', async () => {
  const dir = join(work.path, 'npm');
  await mkdir(dir, { recursive: true });
  // --ignore-scripts: the suite built dist/ already; rebuilding it here would race other tests.
  const { stdout: packed } = await run(
    'npm',
    ['pack', '--ignore-scripts', '--pack-destination', dir],
    {
      cwd: REPO,
    },
  );
  const tarball = join(dir, packed.trim().split('\n').at(-1) ?? '');
  const prefix = join(dir, 'prefix');
  await run(
    'npm',
    ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball],
    { cwd: dir },
  );
  const { stdout: version } = await run(join(prefix, 'bin/ebb'), ['--version']);
  const { version: expected } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
    version: string;
  };
  assert.equal(version.trim(), expected);
  const server = await startEbb(['--listen', '127.0.0.1:0', '--access-log', 'off', docs.path], {
    bin: join(prefix, 'bin/ebb'),
  });
  assert.equal((await download(server.port, `/${big.name}`)).sha256, big.sha256);
  server.child.kill('SIGINT');
  assert.deepEqual(await server.exited, { code: 0, signal: null });
});
