/**
 * The units in contrib/systemd pass `systemd-analyze verify` (ExecStart pointed at this tree's
 * bin/ebb, since /usr/bin/ebb is the package's), and say what the drain needs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EBB_BIN } from '../helpers/ebb-process.js';
import { makeTempDir } from '../helpers/fixtures.js';

const UNITS = fileURLToPath(new URL('../../../contrib/systemd/', import.meta.url));
const run = promisify(execFile);

/** Copies of the units (ebb@.service also as instance ebb@mirror) with /usr/bin/ebb → `bin`. */
export async function unitCopies(dir: string, bin: string): Promise<string[]> {
  const names = ['ebb.service', 'ebb.socket', 'ebb@.service'];
  const paths: string[] = [];
  for (const name of names) {
    const text = (await readFile(join(UNITS, name), 'utf8')).replaceAll('/usr/bin/ebb', bin);
    const target = join(dir, name === 'ebb@.service' ? 'ebb@mirror.service' : name);
    await writeFile(target, text);
    paths.push(target);
  }
  return paths;
}

test('systemd-analyze verify passes on ebb.service, ebb.socket and ebb@.service', async () => {
  const dir = await makeTempDir();
  after(dir.remove);
  const units = await unitCopies(dir.path, EBB_BIN);
  const { stdout, stderr } = await run('systemd-analyze', ['verify', '--man=no', ...units], {
    env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' },
  });
  assert.equal(`${stdout}${stderr}`, '');
});

test('the service drains on stop: Type=notify, SIGINT, a stop timeout, NotifyAccess for systemd-notify', async () => {
  for (const name of ['ebb.service', 'ebb@.service']) {
    const text = await readFile(join(UNITS, name), 'utf8');
    for (const line of [
      'Type=notify',
      'NotifyAccess=all',
      'KillSignal=SIGINT',
      'TimeoutStopSec=10min',
      'ExecReload=/bin/kill -HUP $MAINPID',
      'AmbientCapabilities=CAP_NET_BIND_SERVICE',
      'ProtectSystem=strict',
      'NoNewPrivileges=yes',
      'PrivateTmp=yes',
    ]) {
      assert.ok(text.split('\n').includes(line), `${name} lacks ${line}`);
    }
  }
});
