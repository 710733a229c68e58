/**
 * The admin listener, the pid file and `ebb stop` against local users (issue 12, items 10–14):
 * real servers, real signals, another user played by `nobody` (setpriv), planted files made here
 * in a sticky world-writable folder. Every process started is stopped by pid.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { access, chmod, lstat, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asTestUser, EBB_BIN, LineFollower, startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { adminFetch, adminPortOf, adminTokenFileOf } from '../helpers/admin.js';
import { startWithAdmin } from '../helpers/live-server.js';
import { readProcessIdentity } from '../../src/lifecycle/process-identity.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
await chmod(root.path, 0o755);
await writeRandomFile(root.path, 'small.bin', 4096);

const AS_NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];
const base = ['--listen', '127.0.0.1:0', '--access-log', 'off'];

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (at most 20 s) and returns what it printed. */
async function run(command: readonly string[]): Promise<Ran> {
  const [file = '', ...args] = command;
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

const ebb = (...args: string[]): Promise<Ran> => run([EBB_BIN, ...asTestUser(args)]);
const ebbAsNobody = (...args: string[]): Promise<Ran> => run([...AS_NOBODY, EBB_BIN, ...args]);

/** A long-lived process in its own group, killed (group and all) after the test. */
function spawnKept(command: readonly string[]): { child: ChildProcess; pid: number } {
  const [file = '', ...args] = command;
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${file} did not start`);
  after(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return { child, pid };
}

/**
 * A process that looks like ebb to an argv check (`sh -c … ebb serve`) and says if it is
 * signalled: it prints `signalled` and exits 9 on SIGINT or SIGTERM.
 */
async function startImpostor(asNobody = false) {
  const script = 'trap "echo signalled; exit 9" INT TERM; echo ready; sleep 300 & wait';
  const kept = spawnKept([...(asNobody ? AS_NOBODY : []), 'sh', '-c', script, 'ebb', 'serve']);
  const out = new LineFollower(kept.child.stdout!);
  await out.waitFor(/ready/);
  const exited = once(kept.child, 'exit');
  return { ...kept, out, exited, isRunning: () => kept.child.exitCode === null };
}

/** A sticky world-writable folder, as /tmp is: where other users can plant files. */
async function stickyDir(): Promise<string> {
  const dir = await makeTempDir('ebb-sticky-');
  after(dir.remove);
  await chmod(dir.path, 0o1777);
  return dir.path;
}

/** A folder others may read (not write): what a root server's /run/ebb looks like. */
async function readableDir(): Promise<string> {
  const dir = await makeTempDir('ebb-run-');
  after(dir.remove);
  await chmod(dir.path, 0o755);
  return dir.path;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

// ---- 12.10: the TCP admin listener -------------------------------------------------------------

test('TCP admin: POST needs the token (401 without it, or with a wrong one); the server keeps serving', async () => {
  const { server, adminPort } = await startWithAdmin(root.path);
  for (const token of [null, 'not-the-token']) {
    for (const path of ['/drain', '/stop', '/anything-else']) {
      const refused = await adminFetch(adminPort, 'POST', path, { token });
      assert.equal(refused.status, 401, `${path} with token ${token}`);
    }
  }
  assert.equal((await adminFetch(adminPort, 'GET', '/ready')).status, 200);
  assert.equal((await adminFetch(adminPort, 'POST', '/drain')).status, 202);
  assert.equal((await server.exited).code, 0);
});

test('TCP admin: the token file is 0600, ours, named on stderr, and removed at exit', async () => {
  const { server } = await startWithAdmin(root.path);
  const tokenFile = adminTokenFileOf(server.stderr.lines);
  const stats = await lstat(tokenFile);
  assert.equal(stats.mode & 0o777, 0o600);
  assert.equal(stats.uid, process.getuid?.());
  assert.match(await readFile(tokenFile, 'utf8'), /^[A-Za-z0-9_-]{43}\n$/);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
  assert.equal(await exists(tokenFile), false);
});

test('every admin request: Host must name the listener (DNS rebinding), any port (ssh -L)', async () => {
  const { server, adminPort } = await startWithAdmin(root.path);
  const cases: ReadonlyArray<readonly [string, number]> = [
    [`evil.example:${adminPort}`, 403],
    ['evil.example', 403],
    [`127.0.0.1.nip.io:${adminPort}`, 403],
    [`10.0.0.1:${adminPort}`, 403],
    [`127.0.0.1:${adminPort}`, 200],
    [`localhost:${adminPort}`, 200],
    ['localhost:8081', 200],
    [`[::1]:${adminPort}`, 200],
  ];
  for (const [host, status] of cases) {
    for (const path of ['/status', '/', '/metrics', '/ready']) {
      const answer = await adminFetch(adminPort, 'GET', path, { headers: { Host: host } });
      assert.equal(answer.status, status, `${host} ${path}`);
    }
  }
  // HAProxy's default check: HTTP/1.0, no Host at all. Not a browser: it passes.
  const probe = connect(adminPort, '127.0.0.1');
  probe.end('GET /ready HTTP/1.0\r\n\r\n');
  let answer = '';
  for await (const chunk of probe) answer += String(chunk);
  assert.match(answer, /^HTTP\/1\.1 200 /);
  const rebound = await adminFetch(adminPort, 'POST', '/stop', {
    headers: { Host: 'evil.example' },
  });
  assert.equal(rebound.status, 403);
  assert.equal((await adminFetch(adminPort, 'POST', '/drain')).status, 202);
  assert.equal((await server.exited).code, 0);
});

test('a CORS-simple cross-origin POST is refused on TCP (even with the token) and on the unix socket', async () => {
  const { server, adminPort } = await startWithAdmin(root.path);
  const crossSite = {
    Origin: 'http://evil.example',
    'Content-Type': 'text/plain',
  };
  assert.equal((await adminFetch(adminPort, 'POST', '/stop', { headers: crossSite })).status, 403);
  const fetchMetadata = { 'Sec-Fetch-Site': 'cross-site' };
  assert.equal(
    (await adminFetch(adminPort, 'POST', '/stop', { headers: fetchMetadata })).status,
    403,
  );
  const sameOrigin = { Origin: `http://127.0.0.1:${adminPort}` };
  assert.equal(
    (await adminFetch(adminPort, 'POST', '/drain', { headers: sameOrigin })).status,
    202,
  );
  assert.equal((await server.exited).code, 0);

  const dir = await readableDir();
  const socket = join(dir, 'ebb.sock');
  const onSocket = await startEbb([...base, '--admin', `unix:${socket}`, root.path]);
  const post = (headers: Record<string, string>) =>
    run([
      'curl',
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--unix-socket',
      socket,
      ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
      '-X',
      'POST',
      'http://localhost/stop',
    ]);
  assert.equal((await post(crossSite)).stdout, '403');
  assert.equal((await post({ Host: 'evil.example' })).stdout, '403');
  assert.equal((await post({})).stdout, '202', 'the unix socket needs no token');
  assert.equal((await onSocket.exited).code, 0);
});

test('a non-loopback admin address is refused unless --admin-allow-remote (exit 2, nothing bound)', async () => {
  for (const address of ['0.0.0.0:0', '[::]:0', '192.0.2.1:0']) {
    const refused = await ebb('serve', ...base, '--admin', address, root.path);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /expected unix:PATH or a loopback HOST:PORT/);
    assert.match(refused.stderr, /--admin-allow-remote/);
    assert.doesNotMatch(refused.stderr, /listening on/);
  }
});

test('ebb stop/status --pid-file find a TCP admin listener and its token (issue 8.6)', async () => {
  const dir = await readableDir();
  const pidFile = join(dir, 'ebb.pid');
  const server = await startEbb([
    ...base,
    '--pid-file',
    pidFile,
    '--admin',
    '127.0.0.1:0',
    root.path,
  ]);
  const adminPort = adminPortOf(server.stderr.lines);
  const instance = JSON.parse(await readFile(join(dir, 'ebb.instance'), 'utf8')) as {
    admin: string;
    tokenFile: string;
  };
  assert.equal(instance.admin, `127.0.0.1:${adminPort}`);
  assert.equal(instance.tokenFile, join(dir, 'ebb.admin-token'));

  const status = await ebb('status', '--json', '--pid-file', pidFile);
  assert.equal(status.code, 0, status.stderr);
  assert.equal((JSON.parse(status.stdout) as { pid: number }).pid, server.pid);

  // Another user may read (no token needed) but not stop: its stop is refused, exit 5.
  const peek = await ebbAsNobody('status', '--admin', `127.0.0.1:${adminPort}`);
  assert.equal(peek.code, 0, peek.stderr);
  const nobodyStop = await ebbAsNobody('stop', '--admin', `127.0.0.1:${adminPort}`);
  assert.equal(nobodyStop.code, 5, nobodyStop.stderr);
  assert.match(nobodyStop.stderr, /^ebb: permission denied: POST \/drain\?watch=1: 401/);
  const nobodyByPidFile = await ebbAsNobody('stop', '--pid-file', pidFile);
  assert.equal(nobodyByPidFile.code, 5, nobodyByPidFile.stderr);
  assert.match(nobodyByPidFile.stderr, /cannot read the admin token file .*EACCES/);
  assert.equal((await adminFetch(adminPort, 'GET', '/ready')).status, 200, 'still serving');

  const stop = await ebb('stop', '--pid-file', pidFile);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
  assert.match(stop.stdout, /ebb exited after/);
  assert.equal((await server.exited).code, 0);
  assert.deepEqual((await readdir(dir)).sort(), [], 'pid, instance and token files removed');
});

test('an admin socket or token file in a missing folder: one clear line, exit 1, no stack', async () => {
  for (const flags of [
    ['--admin', 'unix:/nonexistent-ebb/ebb.sock'],
    ['--admin', '127.0.0.1:0', '--admin-token-file', '/nonexistent-ebb/token'],
  ]) {
    const refused = await ebb('serve', ...base, ...flags, root.path);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /^ebb: cannot write \/nonexistent-ebb\/\S+: \/nonexistent-ebb: no such folder\n$/,
    );
  }
});

// ---- 12.11: the pid file's temporary file --------------------------------------------------------

test('a symlink planted at the old temp name (PIDFILE.PID.tmp) is not written through', async () => {
  const dir = await stickyDir();
  const pidFile = join(dir, 'ebb.pid');
  const victim = join(dir, 'victim');
  await writeFile(victim, 'precious\n');
  // The shell waits for a line, then execs ebb with its own pid: the pid is known in advance.
  const wrapper = 'read go; exec "$0" "$@"';
  const child = spawn(
    'sh',
    ['-c', wrapper, EBB_BIN, ...asTestUser(['serve', ...base, '--pid-file', pidFile, root.path])],
    {
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  const pid = child.pid!;
  after(() => void child.kill('SIGKILL'));
  await symlink(victim, `${pidFile}.${pid}.tmp`);
  const stderr = new LineFollower(child.stderr);
  child.stdin.end('go\n');
  await stderr.waitFor(/serving/);
  assert.equal(await readFile(victim, 'utf8'), 'precious\n');
  assert.equal(
    (await lstat(pidFile)).isFile(),
    true,
    'the pid file is a file, not the planted link',
  );
  assert.equal((await readFile(pidFile, 'utf8')).trim(), String(pid));
  child.kill('SIGINT');
  assert.equal((await once(child, 'exit'))[0], 0);
});

test('a pid-file folder writable by others is refused unless sticky (exit 1, nothing bound)', async () => {
  const open = await makeTempDir('ebb-open-');
  after(open.remove);
  await chmod(open.path, 0o777);
  const refused = await ebb('serve', ...base, '--pid-file', join(open.path, 'ebb.pid'), root.path);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /writable by other users \(mode 0777/);
  assert.doesNotMatch(refused.stderr, /listening on/);

  const sticky = await stickyDir();
  const server = await startEbb([...base, '--pid-file', join(sticky, 'ebb.pid'), root.path]);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
});

// ---- 12.12: planted pid files and admin sockets; neutralised output ------------------------------

test("root's ebb stop refuses a pid file another user planted (exit 5); nothing is signalled", async () => {
  const dir = await stickyDir();
  const impostor = await startImpostor(true);
  const identity = await readProcessIdentity(impostor.pid);
  assert.ok(identity !== null);
  const pidFile = join(dir, 'ebb.pid');
  // nobody plants a pid file and a perfect instance file for its own process.
  const instance = JSON.stringify({
    pid: impostor.pid,
    startTicks: identity.startTicks,
    admin: null,
    tokenFile: null,
  });
  const planted = await run([
    ...AS_NOBODY,
    'sh',
    '-c',
    `echo ${impostor.pid} > ${pidFile}; echo '${instance}' > ${join(dir, 'ebb.instance')}`,
  ]);
  assert.equal(planted.code, 0, planted.stderr);

  const stop = await ebb('stop', '--pid-file', pidFile);
  assert.equal(stop.code, 5, stop.stdout + stop.stderr);
  assert.match(stop.stderr, /refusing to trust pid file .* owned by uid \d+, not by you \(uid 0\)/);
  assert.equal(impostor.isRunning(), true, 'the planted pid was signalled');
});

test('ebb stop refuses an admin socket another user squats (exit 5) and prints none of its text', async () => {
  const dir = await stickyDir();
  const socket = join(dir, 'ebb.sock');
  const squatter = `require('http').createServer((q, s) => s.end('\\x1b]0;owned\\x07\\x1b[2J')).listen(${JSON.stringify(socket)}, () => console.log('ready'))`;
  const kept = spawnKept([...AS_NOBODY, process.execPath, '-e', squatter]);
  await new LineFollower(kept.child.stdout!).waitFor(/ready/);
  for (const command of [['stop'], ['status']]) {
    const refused = await ebb(...command, '--admin', `unix:${socket}`);
    assert.equal(refused.code, 5, refused.stderr);
    assert.match(refused.stderr, /refusing to trust admin socket .* owned by uid/);
    assert.doesNotMatch(refused.stdout + refused.stderr, /\x1b/);
  }
});

test('ebb stop neutralises control characters in everything the admin API sends', async () => {
  const dir = await readableDir();
  const socket = join(dir, 'fake.sock');
  const evil = '\x1b]0;pwned\x07\x1b[31m';
  let answer: 'drain' | 'error' = 'drain';
  const fake = createServer((_request, response) => {
    if (answer === 'error') {
      response.writeHead(500).end(`boom ${evil}`);
      return;
    }
    const summary = {
      trigger: 'admin',
      durationMs: 10,
      completed: { count: 1, bytes: 5 },
      cut: [
        {
          client: `1.2.3.4${evil}`,
          path: `/a${evil}.iso`,
          bytesSent: 1,
          bytesDue: 2,
          reason: `x${evil}`,
        },
      ],
      exitStatus: 0,
    };
    response.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    response.end(
      `${JSON.stringify({ event: 'accepted', state: 'draining' })}\n${JSON.stringify({ event: 'finished', summary })}\n`,
    );
  });
  fake.listen(socket);
  await once(fake, 'listening');
  after(() => fake.close());

  const stop = await ebb('stop', '--admin', `unix:${socket}`);
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /cut \(x\?\]0;pwned\?\?\[31m\): 1\.2\.3\.4\?/);
  assert.doesNotMatch(stop.stdout + stop.stderr, /[\x00-\x09\x0b-\x1f\x7f]/);

  answer = 'error';
  const failed = await ebb('stop', '--admin', `unix:${socket}`);
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /failed: 500 boom \?\]0;pwned/);
  assert.doesNotMatch(failed.stdout + failed.stderr, /[\x00-\x09\x0b-\x1f\x7f]/);
});

test('ebb status and stop against a stray listener that answers nonsense: one clear line, exit 1', async () => {
  const stray = createServer((request, response) => {
    if (request.url?.startsWith('/status') === true) response.end('{"x":1,"y":"\x1b[2J"}');
    else response.end('{"event":"finished","summary":{"cut":"all"}}\n');
  });
  stray.listen(0, '127.0.0.1');
  await once(stray, 'listening');
  after(() => stray.close());
  const address = stray.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  for (const command of [['status'], ['stop', '--admin-token-file', '/dev/null']]) {
    const ran = await ebb(...command, '--admin', `127.0.0.1:${port}`);
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(ran.stderr, /^ebb: .*(not what ebb sends|malformed drain summary)/);
    assert.doesNotMatch(ran.stderr, /unexpected failure|^\s+at /m);
  }
});

// ---- 12.13: a stale pid is never signalled ---------------------------------------------------------

test('a live `sh -c … ebb serve` named by a pid file is never signalled (no start time, or another one)', async () => {
  const dir = await readableDir();
  const pidFile = join(dir, 'ebb.pid');
  const impostor = await startImpostor();
  await writeFile(pidFile, `${impostor.pid}\n`);
  const noRecord = await ebb('stop', '--pid-file', pidFile);
  assert.equal(noRecord.code, 4, noRecord.stdout + noRecord.stderr);
  assert.match(noRecord.stderr, /is stale: .*nothing was signalled/);

  // The instance file of an earlier ebb that had the same pid: another start time.
  const identity = await readProcessIdentity(impostor.pid);
  assert.ok(identity !== null);
  const earlier = String(BigInt(identity.startTicks) - 1000n);
  await writeFile(
    join(dir, 'ebb.instance'),
    JSON.stringify({ pid: impostor.pid, startTicks: earlier, admin: null, tokenFile: null }),
  );
  const reused = await ebb('stop', '--pid-file', pidFile);
  assert.equal(reused.code, 4, reused.stdout + reused.stderr);
  assert.match(reused.stderr, /another process than the ebb that wrote it/);
  assert.equal(impostor.isRunning(), true, 'the impostor was signalled');
});

test('ebb stop by signal (admin off): the pid file and start time match, SIGINT drains, exit 0', async () => {
  const dir = await readableDir();
  const pidFile = join(dir, 'ebb.pid');
  const server = await startEbb([...base, '--admin', 'off', '--pid-file', pidFile, root.path]);
  const stop = await ebb('stop', '--pid-file', pidFile);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
  assert.match(stop.stdout, new RegExp(`sent SIGINT to ebb \\(pid ${server.pid}\\)`));
  assert.equal((await server.exited).code, 0);
});

// ---- 12.14: permission denied, and no window on the admin socket's mode --------------------------

test("another user's ebb stop: permission denied, exit 5, no stack (signal and admin socket)", async () => {
  const dir = await readableDir();
  const pidFile = join(dir, 'ebb.pid');
  const server = await startEbb([...base, '--admin', 'off', '--pid-file', pidFile, root.path]);
  const bySignal = await ebbAsNobody('stop', '--pid-file', pidFile);
  assert.equal(bySignal.code, 5, bySignal.stderr);
  assert.match(
    bySignal.stderr,
    new RegExp(`^ebb: permission denied: you may not signal ebb \\(pid ${server.pid}\\)`),
  );
  assert.doesNotMatch(bySignal.stderr, /^\s+at /m);

  const dir2 = await readableDir();
  const pidFile2 = join(dir2, 'ebb.pid');
  const withSocket = await startEbb([...base, '--pid-file', pidFile2, root.path]);
  assert.equal((await lstat(join(dir2, 'ebb.sock'))).mode & 0o777, 0o600);
  const bySocket = await ebbAsNobody('stop', '--pid-file', pidFile2);
  assert.equal(bySocket.code, 5, bySocket.stderr);
  assert.match(
    bySocket.stderr,
    /^ebb: permission denied: cannot connect to the admin listener unix:.*EACCES/,
  );
  assert.doesNotMatch(bySocket.stderr, /^\s+at /m);

  server.child.kill('SIGINT');
  withSocket.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
  assert.equal((await withSocket.exited).code, 0);
});

test('the admin socket is bound inside a private folder and renamed into place already 0600', async () => {
  const dir = await readableDir();
  const socket = join(dir, 'ebb.sock');
  const trace = join(dir, 'trace');
  const traced = spawn(
    'sh',
    [
      '-c',
      'umask 000; exec strace -f -qq -e trace=bind,rename,renameat,renameat2 -o "$0" "$@"',
      trace,
      EBB_BIN,
      ...asTestUser(['serve', ...base, '--admin', `unix:${socket}`, root.path]),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  after(() => void traced.kill('SIGKILL'));
  const stderr = new LineFollower(traced.stderr);
  const serving = await stderr.waitFor(/serving .* \(pid \d+\)/);
  const pid = Number(/\(pid (\d+)\)/.exec(serving)?.[1]);
  after(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  assert.equal((await lstat(socket)).mode & 0o777, 0o600);
  const calls = (await readFile(trace, 'utf8'))
    .split('\n')
    .filter((line) => /bind\(|rename/.test(line));
  const binds = calls.filter((line) => line.includes('sun_path='));
  assert.equal(binds.length, 1, calls.join('\n'));
  assert.doesNotMatch(
    binds[0] ?? '',
    new RegExp(`sun_path="${socket}"`),
    'bound at its final path',
  );
  assert.match(binds[0] ?? '', /sun_path=".*\/\.ebb-[^/]+\/s"/);
  assert.ok(
    calls.some((line) => /rename.*\.ebb-[^/]+\/s".*ebb\.sock"/.test(line)),
    calls.join('\n'),
  );
  // strace follows ebb to its end: SIGINT to ebb itself, and strace exits with it.
  process.kill(pid, 'SIGINT');
  await once(traced, 'exit');
});

test('ebb serve --user: the root-owned pid file vouches for the dropped uid; root ebb stop signals it', async () => {
  const dir = await readableDir();
  const pidFile = join(dir, 'ebb.pid');
  const server = await startEbb([
    ...base,
    '--user',
    'nobody',
    '--admin',
    'off',
    '--pid-file',
    pidFile,
    root.path,
  ]);
  assert.equal((await readProcessIdentity(server.pid))?.uid, 65534);
  const stop = await ebb('stop', '--pid-file', pidFile);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
  assert.match(stop.stdout, new RegExp(`sent SIGINT to ebb \\(pid ${server.pid}\\)`));
  assert.equal((await server.exited).code, 0);
});
