/**
 * `--drain-delay auto` (the default) with a real health checker polling the admin listener's
 * /ready: the drain keeps serving, shows what it waits for (`ebb stop`, /status), and closes the
 * listeners once the checker has been answered 503 three times, not before.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startEbb, spawnEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { download } from '../helpers/http-client.js';
import { adminFetch, adminPortOf, adminTokenFileOf } from '../helpers/admin.js';

after(stopAll);

const docs = await makeTempDir('ebb-www-');
after(docs.remove);
const small = await writeRandomFile(docs.path, 'small.bin', 4096);

const USER_AGENT = 'test-checker/1';
const INTERVAL_MS = 400;

interface Answer {
  readonly status: number;
  readonly atMs: number;
}

/** Polls GET /ready every INTERVAL_MS, as a load balancer does, and keeps every answer. */
function startChecker(port: number) {
  const answers: Answer[] = [];
  const waiters: Array<{ done: (a: Answer[]) => boolean; resolve: () => void }> = [];
  const poll = (): void => {
    const req = request(
      { host: '127.0.0.1', port, path: '/ready', headers: { 'User-Agent': USER_AGENT } },
      (res) => {
        res.resume();
        res.on('end', () => {
          answers.push({ status: res.statusCode ?? 0, atMs: Date.now() });
          for (const w of waiters.filter((w) => w.done(answers))) w.resolve();
        });
      },
    );
    req.on('error', () => undefined);
    req.end();
  };
  poll();
  const timer = setInterval(poll, INTERVAL_MS);
  return {
    answers,
    stop: () => clearInterval(timer),
    /** Resolves once `done(answers)` holds. */
    until: (done: (a: Answer[]) => boolean): Promise<void> =>
      done(answers) ? Promise.resolve() : new Promise((resolve) => waiters.push({ done, resolve })),
  };
}

const count503 = (answers: readonly Answer[]): number =>
  answers.filter((a) => a.status === 503).length;

test('--drain-delay auto: serving until the health checker has been answered 503 three times', async () => {
  const server = await startEbb([
    ...['--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--access-log', 'off'],
    docs.path,
  ]);
  const admin = adminPortOf(server.stderr.lines);
  const checker = startChecker(admin);
  after(checker.stop);
  await checker.until((a) => a.length >= 2);
  const seen = JSON.parse((await adminFetch(admin, 'GET', '/status')).body) as {
    healthCheckers: Array<{ userAgent: string; intervalMs: number }>;
  };
  assert.equal(seen.healthCheckers.length, 1);
  assert.equal(seen.healthCheckers[0]?.userAgent, USER_AGENT);

  const token = ['--admin-token-file', adminTokenFileOf(server.stderr.lines)];
  const stop = spawnEbb(['stop', '--admin', `127.0.0.1:${admin}`, ...token]);
  await server.stderr.waitFor(/waiting for 1 health checkers to be answered 503 3 times/);
  const status = JSON.parse((await adminFetch(admin, 'GET', '/status')).body) as {
    state: string;
    delay: { healthCheckersWaiting: number; answersNeeded: number } | null;
  };
  assert.equal(status.state, 'draining');
  assert.equal(status.delay?.healthCheckersWaiting, 1);
  assert.equal(status.delay.answersNeeded, 3);
  // Still serving: the load balancer may send this node a request until it has seen the 503s.
  const during = await download(server.port, '/small.bin');
  assert.equal(during.status, 200);
  assert.equal(during.sha256, small.sha256);
  assert.ok(count503(checker.answers) < 3, 'the checker had not yet seen three 503s');

  await server.stderr.waitFor(/every health checker has been answered 503 3/);
  // The third 503 left before the listeners closed; the checker may read it a moment later.
  await checker.until((a) => count503(a) >= 3);
  assert.equal(count503(checker.answers), 3);
  const refused = await download(server.port, '/small.bin').then(
    (d) => `answered ${d.status}`,
    (error: NodeJS.ErrnoException) => error.code ?? error.message,
  );
  // Refused; or reset, if the connect raced the listener's close (issue 14 item 1).
  assert.match(refused, /^(ECONNREFUSED|ECONNRESET)$/);
  assert.equal((await server.exited).code, 0);
  assert.equal((await stop.exited).code, 0, stop.stdout.text() + stop.stderr.text());
  assert.match(stop.stdout.text(), /draining \(waiting for 1 health checker to see 503/);
});

test('--drain-delay 0s: the listeners close at once, whoever polls /ready', async () => {
  const server = await startEbb([
    ...['--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--access-log', 'off'],
    ...['--drain-delay', '0s'],
    docs.path,
  ]);
  const checker = startChecker(adminPortOf(server.stderr.lines));
  after(checker.stop);
  await checker.until((a) => a.length >= 2);
  server.child.kill('SIGINT');
  await server.stderr.waitFor(/draining \(SIGINT\): 0 connections open, no deadline$/);
  assert.equal((await server.exited).code, 0);
  assert.ok(count503(checker.answers) <= 1);
});
