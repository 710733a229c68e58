/**
 * The README's dual-stack example (issue 8.4): `--listen 0.0.0.0:P --listen [::]:P` binds on a
 * stock Linux (`bindv6only=0`) and serves both families; `[::]:P` alone serves both too. Run in
 * a private network namespace the test makes (`unshare -n`), never on the host's interfaces: ebb
 * is started inside it, and the client joins it (`nsenter --net`).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const small = await writeRandomFile(root.path, 'small.bin', 5000);

const canUnshare =
  spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' }).status === 0;
const skip = canUnshare ? false : 'cannot make a network namespace here (needs root, unshare, ip)';

/** Inside a fresh namespace: loopback up, then ebb (same pid). */
const IN_NAMESPACE = ['unshare', '-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"'];

/** GET /small.bin from inside ebb's namespace at each host; the sha256 of each body, or the error. */
const CLIENT = `
const http = require('node:http');
const { createHash } = require('node:crypto');
const [port, ...hosts] = process.argv.slice(1);
const get = (host) => new Promise((resolve) => {
  const req = http.get({ host, port: Number(port), path: '/small.bin' }, (res) => {
    const hash = createHash('sha256');
    res.on('data', (d) => hash.update(d));
    res.on('end', () => resolve(res.statusCode + ' ' + hash.digest('hex')));
  });
  req.on('error', (e) => resolve(e.code));
  req.setTimeout(5000, () => req.destroy(new Error('timeout')));
});
Promise.all(hosts.map(get)).then((r) => console.log(JSON.stringify(r)));
`;

function fetchInNamespace(pid: number, port: number, hosts: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'nsenter',
      [`--net=/proc/${pid}/ns/net`, process.execPath, '-e', CLIENT, String(port), ...hosts],
      { timeout: 15_000 },
      (error, stdout) => {
        if (error) reject(new Error(`the client in the namespace failed: ${error.message}`));
        else resolve(JSON.parse(stdout) as string[]);
      },
    );
  });
}

const PORT = 8080; // a fixed port: the namespace is ours alone
const ok = `200 ${small.sha256}`;

for (const listen of [
  ['0.0.0.0:8080', '[::]:8080'],
  ['[::]:8080', '0.0.0.0:8080'],
  ['[::]:8080'],
]) {
  test(
    `--listen ${listen.join(' --listen ')} binds and serves IPv4 and IPv6`,
    { skip },
    async () => {
      const args = listen.flatMap((address) => ['--listen', address]);
      const server = await startEbb([...args, '--access-log', 'off', root.path], {
        via: IN_NAMESPACE,
      });
      assert.equal(server.ports.length, listen.length);
      assert.deepEqual(await fetchInNamespace(server.pid, PORT, ['127.0.0.1', '::1']), [ok, ok]);
      server.child.kill('SIGINT');
      assert.deepEqual(await server.exited, { code: 0, signal: null });
    },
  );
}
