/**
 * Bad input around systemd and privileges: each a clear message and the documented exit status
 * (2: nothing was bound), or — for notifications — serving on regardless.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { EBB_BIN, LineFollower, startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { download } from '../helpers/http-client.js';
import { freePort, socketActivate, stopStubs } from '../helpers/systemd.js';
import { connectTo } from '../helpers/http-client.js';

after(stopAll);
after(stopStubs);

const root = await makeTempDir();
after(root.remove);
const file = await writeRandomFile(root.path, 'file.bin', 64 * 1024);
const isRoot = process.getuid?.() === 0;

/** Runs `bin/ebb ARGS` with extra environment; resolves with its exit status and stderr. */
async function run(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(EBB_BIN, [...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = new LineFollower(child.stderr);
  const [code] = (await once(child, 'exit')) as [number | null];
  await stderr.waitFor(/./).catch(() => '');
  return { code, stderr: stderr.text() };
}

const serve = ['serve', '--allow-root', '--listen', '127.0.0.1:0', '--access-log', 'off'];

test('LISTEN_PID of another process: refused before binding, exit 2', async () => {
  const result = await run([...serve, root.path], { LISTEN_FDS: '1', LISTEN_PID: '1' });
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    /socket activation: LISTEN_PID=1 names another process \(ebb is pid \d+\)/,
  );
});

test('a listener name ebb does not know: refused, exit 2', async () => {
  const port = await freePort();
  const ebb = await socketActivate(port, 'bogus', ['serve', '--access-log', 'off', root.path]);
  // systemd-socket-activate starts ebb on the first connection.
  const socket = await connectTo(port);
  socket.on('error', () => undefined);
  const exit = await ebb.exited;
  socket.destroy();
  assert.equal(exit.code, 2, ebb.stderr.text());
  assert.match(
    ebb.stderr.text(),
    /fd 3 is named "bogus" \(LISTEN_FDNAMES\); ebb knows "public" and "admin"/,
  );
});

test('a NOTIFY_SOCKET that does not exist: one clear line, serving and draining go on, exit 0', async () => {
  const child = spawn(EBB_BIN, [...serve, root.path], {
    env: { ...process.env, NOTIFY_SOCKET: `${root.path}/no-such.sock` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = new LineFollower(child.stderr);
  const exited = once(child, 'exit');
  await stderr.waitFor(/serving/);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stderr.text())?.[1]);
  await stderr.waitFor(
    /cannot notify systemd \(NOTIFY_SOCKET=.*no-such\.sock\): systemd-notify exited 1/,
  );
  const got = await download(port, `/${file.name}`);
  assert.equal(got.sha256, file.sha256);
  child.kill('SIGINT');
  assert.deepEqual(await exited, [0, null]);
});

test('an unknown --user: refused before binding, exit 2', async () => {
  const result = await run([...serve, '--user', 'no-such-ebb-user', root.path]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /--user no-such-ebb-user: no such user on this system/);
});

test(
  'as root without --user or --allow-root: refused, exit 2',
  { skip: !isRoot && 'not root' },
  async () => {
    const result = await run(['serve', '--listen', '127.0.0.1:0', root.path]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /refuses to run as root: give --user NAME .* or --allow-root/);
  },
);

test('without NOTIFY_SOCKET nothing is sent and nothing is said', async () => {
  const server = await startEbb(['--listen', '127.0.0.1:0', '--access-log', 'off', root.path]);
  server.child.kill('SIGINT');
  await server.exited;
  assert.doesNotMatch(server.stderr.text(), /notify/);
});
