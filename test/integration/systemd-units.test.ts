/**
 * The units in contrib/systemd pass `systemd-analyze verify` (ExecStart pointed at this tree's
 * bin/ebb, since /usr/bin/ebb is the package's), and say what the drain needs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EBB_BIN } from '../helpers/ebb-process.js';
import { UNITS, unitCopies } from '../helpers/systemd.js';
import { makeTempDir } from '../helpers/fixtures.js';

const run = promisify(execFile);

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
