/**
 * Nothing written to a standard stream may kill ebb (issue 8.3, 12.9): a terminal closed under
 * it (SIGHUP, then EIO on every write), a stderr pipe whose reader left (EPIPE), an access log
 * on stdout whose reader left. Each time a download in flight completes intact, SIGUSR1 and
 * SIGINT still work, the exit status is the usual one, and the loss is noted where it still can
 * be: /status `warnings`, /metrics, a comment line in a log file.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { asTestUser, EBB_BIN, startEbb, stopAll, type EbbServer } from '../helpers/ebb-process.js';
import { fileCreated } from '../helpers/files.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { download } from '../helpers/http-client.js';
import { adminFetch, adminPortOf } from '../helpers/admin.js';
import { argsWithAdminAndLog } from '../helpers/live-server.js';
import { pausedDownload } from '../helpers/held-download.js';
import { runInPty } from '../helpers/pty.js';
import { waitForLogLine } from '../helpers/raw-http.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
// Far more than loopback socket buffers hold: the server is mid-body while the client pauses.
const big = await writeRandomFile(root.path, 'big.iso', 32 * 1024 * 1024);
const small = await writeRandomFile(root.path, 'small.bin', 1000);

interface StatusWarning {
  code: string;
  message: string;
  count: number;
  firstAtMs: number;
  lastAtMs: number;
}

const serveArgs = (log: string): string[] => argsWithAdminAndLog(root.path, log);

async function warningsOf(adminPort: number): Promise<StatusWarning[]> {
  const response = await adminFetch(adminPort, 'GET', '/status');
  assert.equal(response.status, 200);
  return (JSON.parse(response.body) as { warnings: StatusWarning[] }).warnings;
}

/** SIGUSR1 after a rename: a new file at the old path proves the signal was handled. */
async function rotate(pid: number, logPath: string, suffix: string): Promise<void> {
  await rename(logPath, `${logPath}.${suffix}`);
  const created = fileCreated(logPath);
  process.kill(pid, 'SIGUSR1');
  await created;
}

test('stderr closed under a running ebb (EPIPE): download intact, SIGUSR1 and SIGINT work, exit 0', async () => {
  const logDir = await makeTempDir();
  after(logDir.remove);
  const logPath = join(logDir.path, 'access.log');
  const server: EbbServer = await startEbb(serveArgs(logPath));
  const adminPort = adminPortOf(server.stderr.lines);
  const held = await pausedDownload(server.port, `/${big.name}`);

  server.child.stderr?.destroy();
  // SIGUSR1 makes ebb print a line: the first write into the closed pipe.
  // The write fails at once and is noted on the next tick, before the new log file is opened.
  await rotate(server.pid, logPath, '1');
  const warnings = await warningsOf(adminPort);
  assert.deepEqual(
    warnings.map((w) => [w.code, w.count]),
    [['STDERR_WRITE', 1]],
  );

  await rotate(server.pid, logPath, '2');
  assert.equal((await download(server.port, `/${small.name}`)).sha256, small.sha256);
  server.child.kill('SIGINT'); // the drain message goes nowhere, the drain itself happens
  held.resume();
  const got = await held.result;
  assert.equal(got.sha256, big.sha256);
  assert.deepEqual(await server.exited, { code: 0, signal: null });
  const logs = await Promise.all(
    [logPath, `${logPath}.1`, `${logPath}.2`].map((path) => readFile(path, 'utf8')),
  );
  assert.match(logs.join(''), /^# ebb \S+ stderr failed \(EPIPE\): operator messages are dropped/m);
});

test('an access log on stdout whose reader left (EPIPE): serving goes on, noted in /status and /metrics', async () => {
  const server = await startEbb(serveArgs('-'));
  const adminPort = adminPortOf(server.stderr.lines);
  const held = await pausedDownload(server.port, `/${big.name}`);
  server.child.stdout?.destroy();
  const failure = server.stderr.waitFor(/cannot write the access log \(stdout\): EPIPE/);
  for (let i = 0; i < 20; i++) {
    assert.equal((await download(server.port, `/${small.name}`)).sha256, small.sha256);
  }
  await failure;
  const warnings = await warningsOf(adminPort);
  assert.equal(warnings[0]?.code, 'ACCESS_LOG_WRITE');
  const metrics = (await adminFetch(adminPort, 'GET', '/metrics')).body;
  assert.match(metrics, /^ebb_warnings_total\{code="ACCESS_LOG_WRITE"\} [1-9]/m);
  assert.match(metrics, /^ebb_access_log_lines_dropped_total [1-9]/m);
  assert.match(metrics, /^ebb_warnings_total\{code="ACCEPT_FAILED"\} 0$/m);

  held.resume();
  assert.equal((await held.result).sha256, big.sha256);
  server.child.kill('SIGINT');
  assert.deepEqual(await server.exited, { code: 0, signal: null });
});

test('the terminal closed under ebb (SIGHUP, then EIO): download intact, SIGUSR1 and SIGINT work, exit 0', async () => {
  const logDir = await makeTempDir();
  after(logDir.remove);
  const logPath = join(logDir.path, 'access.log');
  const pty = runInPty(EBB_BIN, asTestUser(['serve', ...serveArgs(logPath)]));
  after(() => {
    if (pty.driver.exitCode === null) pty.driver.kill('SIGKILL');
  });
  const serving = await pty.output.waitFor(/serving .* \(pid (\d+)\)/);
  const pid = Number(/\(pid (\d+)\)/.exec(serving)?.[1]);
  after(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(pty.output.text())?.[1]);
  const adminPort = adminPortOf(pty.output.lines);
  const held = await pausedDownload(port, `/${big.name}`);

  pty.hangUp();
  // SIGHUP reopens the log (README); its message meets EIO.
  await waitForLogLine(logPath, /^# ebb .*stderr failed \(EIO\)/);
  assert.deepEqual(
    (await warningsOf(adminPort)).map((w) => w.code),
    ['STDERR_WRITE'],
  );
  await rotate(pid, logPath, '1');
  assert.equal((await download(port, `/${small.name}`)).sha256, small.sha256);
  process.kill(pid, 'SIGINT');
  held.resume();
  assert.equal((await held.result).sha256, big.sha256);
  assert.equal(await pty.exitStatus, 0);
  assert.ok((await readFile(`${logPath}`, 'utf8')).includes(`GET /${small.name} `));
});
