/**
 * `--user`: ebb started as root binds a privileged port, opens its log and pid file, then runs
 * as the given account for good (checked in /proc/PID/status), still serves, still drains.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { EBB_BIN, LineFollower, startEbb, stopAll } from '../helpers/ebb-process.js';
import { spawn } from 'node:child_process';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { download, startDownload } from '../helpers/http-client.js';
import { waitForLogLine } from '../helpers/raw-http.js';

after(stopAll);
const isRoot = process.getuid?.() === 0;

/** A port below 1024 free on 127.0.0.1 right now (only root can bind it). */
async function freePrivilegedPort(): Promise<number> {
  for (let port = 1023; port > 900; port--) {
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      server.close();
      await once(server, 'close');
      return port;
    }
  }
  throw new Error('no free port below 1024');
}

function ids(status: string, field: 'Uid' | 'Gid' | 'Groups'): string {
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
}

test(
  '--user nobody: bound to a port below 1024 as root, then uid/gid nobody for good; serves and drains',
  { skip: !isRoot && 'needs root' },
  async () => {
    const dir = await makeTempDir();
    after(dir.remove);
    await chmod(dir.path, 0o755); // the served files are opened after the switch
    const big = await writeRandomFile(dir.path, 'big.iso', 8 * 1024 * 1024);
    const port = await freePrivilegedPort();
    const log = join(dir.path, 'access.log');
    const server = await startEbb([
      '--listen',
      `127.0.0.1:${port}`,
      '--user',
      'nobody',
      '--access-log',
      log,
      '--pid-file',
      join(dir.path, 'ebb.pid'),
      dir.path,
    ]);
    assert.match(server.stderr.text(), /running as nobody:nogroup/);
    const status = await readFile(`/proc/${server.pid}/status`, 'latin1');
    assert.equal(ids(status, 'Uid'), '65534\t65534\t65534\t65534');
    assert.equal(ids(status, 'Gid'), '65534\t65534\t65534\t65534');
    assert.equal(ids(status, 'Groups'), '65534');
    assert.match(status, /^CapEff:\s*0+$/m);
    assert.equal((await readFile(join(dir.path, 'ebb.pid'), 'utf8')).trim(), String(server.pid));

    const slow = startDownload(port, `/${big.name}`, { bytesPerSecond: 4_000_000 });
    await slow.started;
    server.child.kill('SIGINT');
    const result = await slow.result;
    assert.equal(result.sha256, big.sha256);
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    await waitForLogLine(log, /"GET \/big\.iso HTTP\/1\.1" 200 8388608 .* complete$/);
    const again = await download(port, '/').catch(() => null);
    assert.equal(again, null, 'the port is closed after the drain');
  },
);

const isNode20 = process.versions.node.startsWith('20.');

test(
  'a Node with io_uring on refuses the switch: a clear line naming UV_USE_IO_URING=0, exit 1, no pid file left',
  { skip: (!isRoot || !isNode20) && 'needs root and Node 20' },
  async () => {
    const dir = await makeTempDir();
    after(dir.remove);
    const pidFile = join(dir.path, 'ebb.pid');
    const child = spawn(
      EBB_BIN,
      ['serve', '--listen', '127.0.0.1:0', '--user', 'nobody', '--pid-file', pidFile, dir.path],
      { env: { ...process.env, UV_USE_IO_URING: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const stderr = new LineFollower(child.stderr);
    const [code] = (await once(child, 'exit')) as [number | null];
    await stderr.waitFor(/CVE-2024-22017/);
    assert.equal(code, 1, stderr.text());
    assert.match(
      stderr.text(),
      /cannot switch to nobody:nogroup .*start ebb with UV_USE_IO_URING=0/,
    );
    await assert.rejects(readFile(pidFile), { code: 'ENOENT' });
  },
);
