/** `ebb check`: the effective settings as TOML and exit 0, or every problem and exit 2. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { parse } from 'smol-toml';
import { EBB_BIN } from '../helpers/ebb-process.js';
import { makeTempDir } from '../helpers/fixtures.js';

const dir = await makeTempDir();
after(dir.remove);

function check(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(EBB_BIN, ['check', '--allow-root', ...args], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

test('a good configuration: exit 0, settings printed as TOML that reads back the same', async () => {
  const config = join(dir.path, 'ebb.toml');
  await writeFile(config, 'listen = ["127.0.0.1:0"]\ndrain-timeout = "30m"\naccess-log = "off"\n');
  const result = await check([
    '--config',
    config,
    '--pid-file',
    join(dir.path, 'ebb.pid'),
    dir.path,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /configuration OK/);
  const settings = parse(result.stdout);
  assert.equal(settings['drain-timeout'], '30m');
  assert.deepEqual(settings['listen'], ['127.0.0.1:0']);
  assert.equal(settings['admin'], `unix:${join(dir.path, 'ebb.sock')}`);
  // What check prints is a config file serve accepts, with the same result.
  const echoed = join(dir.path, 'echoed.toml');
  await writeFile(echoed, result.stdout);
  const again = await check(['--config', echoed]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, result.stdout);
});

test('every problem at once, exit 2, nothing bound', async () => {
  const result = await check([
    '--listen',
    '10.255.255.254:8080',
    '--pid-file',
    '/no/such/dir/ebb.pid',
    '--access-log',
    '/no/such/dir/access.log',
    '--user',
    'no-such-ebb-user',
    join(dir.path, 'missing'),
  ]);
  assert.equal(result.code, 2);
  for (const line of [
    /root .*missing: not an existing directory/,
    /access log \/no\/such\/dir\/access\.log: cannot be created in \/no\/such\/dir: does not exist/,
    /pid file \/no\/such\/dir\/ebb\.pid: cannot be created/,
    /--user no-such-ebb-user: no such user on this system/,
    /listen 10\.255\.255\.254:8080: 10\.255\.255\.254 is not an address of this machine/,
    /admin socket \/no\/such\/dir\/ebb\.sock: cannot be created/,
    /6 problems/,
  ]) {
    assert.match(result.stderr, line);
  }
});

test('a bad value: the config error, exit 2', async () => {
  const result = await check(['--drain-timeout', 'soon']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--drain-timeout "soon": expected a duration/);
});
