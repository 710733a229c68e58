/**
 * The access log against the real server: one Combined Log Format line per request with the
 * body bytes actually sent, the duration and how the response ended (`complete`, `aborted`),
 * quoted fields escaped, and SIGUSR1/SIGHUP reopening the file after logrotate moved it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { fileCreated } from '../helpers/files.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { connectTo, requestText } from '../helpers/http-client.js';
import { exchange, fetchRaw, waitForLogLine } from '../helpers/raw-http.js';
import { parseAccessLine, type AccessLine } from '../helpers/access-lines.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const logDir = await makeTempDir();
after(logDir.remove);
const logPath = join(logDir.path, 'access.log');
const small = await writeRandomFile(root.path, 'small.bin', 1000);
const big = await writeRandomFile(root.path, 'big.iso', 24 * 1024 * 1024);

const server = await startEbb(['--listen', '127.0.0.1:0', '--access-log', logPath, root.path]);
const port = server.port;

/** A unique User-Agent per test, to find its line. */
const agentFor = (name: string): string => `ebb-test/${name}`;
const lineOf = async (agent: string, path = logPath): Promise<AccessLine> =>
  parseAccessLine(await waitForLogLine(path, new RegExp(`"${agent}" \\d`)));

test('a complete download: one line with method, target, status, bytes, referer, agent, duration, complete', async () => {
  const agent = agentFor('complete');
  await fetchRaw(port, `/${small.name}?x=1`, { 'User-Agent': agent, Referer: 'http://ref/' });
  const line = await lineOf(agent);
  assert.deepEqual(
    { ...line, seconds: 0 },
    {
      request: `GET /${small.name}?x=1 HTTP/1.1`,
      status: 200,
      bytes: String(small.size),
      referer: 'http://ref/',
      userAgent: agent,
      seconds: 0,
      outcome: 'complete',
    },
  );
  assert.ok(line.seconds >= 0 && line.seconds < 5);
});

test('HEAD, 304, 206, 404 and 405 log the body bytes actually sent', async () => {
  const cases: ReadonlyArray<readonly [string, Record<string, string>, string, number, string]> = [
    ['head', {}, 'HEAD', 200, '-'],
    ['range', { Range: 'bytes=0-99' }, 'GET', 206, '100'],
    ['missing', {}, 'GET', 404, '14'],
    ['post', {}, 'POST', 405, '23'],
  ];
  for (const [name, headers, method, status, bytes] of cases) {
    const agent = agentFor(name);
    const path = name === 'missing' ? '/nothing-here' : `/${small.name}`;
    await fetchRaw(port, path, { ...headers, 'User-Agent': agent }, method);
    const line = await lineOf(agent);
    assert.equal(line.status, status, name);
    assert.equal(line.bytes, bytes, name);
    assert.equal(line.outcome, 'complete', name);
  }
  const { headers } = await fetchRaw(port, `/${small.name}`, {}, 'HEAD');
  const agent = agentFor('not-modified');
  await fetchRaw(port, `/${small.name}`, {
    'If-None-Match': headers.get('etag') ?? '',
    'User-Agent': agent,
  });
  const line = await lineOf(agent);
  assert.equal(line.status, 304);
  assert.equal(line.bytes, '-');
});

test('a request refused by the parser is logged as "-" with its status', async () => {
  const before = await readFile(logPath, 'utf8');
  await exchange(port, 'GET /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n', {
    waitForEnd: true,
  });
  const line = await waitForLogLine(logPath, /"-" 400 /);
  assert.ok(!before.includes(line));
  assert.equal(parseAccessLine(line).request, '-');
});

test('a client that disconnects mid-body is logged "aborted" with the bytes it got', async () => {
  const agent = agentFor('aborted');
  const socket = await connectTo(port);
  socket.on('error', () => undefined);
  const gotData = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write(requestText(`/${big.name}`, { headers: { 'User-Agent': agent } }));
  await gotData;
  socket.resetAndDestroy();
  const line = await lineOf(agent);
  assert.equal(line.status, 200);
  assert.equal(line.outcome, 'aborted');
  assert.ok(Number(line.bytes) > 0 && Number(line.bytes) < big.size, `bytes ${line.bytes}`);
});

test('quoted fields are escaped: a client cannot forge a line or a field', async () => {
  const agent = 'evil" 200 9 "x\\y';
  const { responses } = await exchange(
    port,
    `GET /${small.name}?"quoted" HTTP/1.1\r\nHost: t\r\nUser-Agent: ${agent}\r\nReferer: \xff\xfe\r\n\r\n`,
  );
  assert.equal(responses[0]?.status, 200);
  const line = parseAccessLine(await waitForLogLine(logPath, /evil\\x22/));
  assert.equal(line.userAgent, 'evil\\x22 200 9 \\x22x\\x5cy');
  assert.equal(line.request, `GET /${small.name}?\\x22quoted\\x22 HTTP/1.1`);
  assert.equal(line.referer, '\\xff\\xfe');
});

for (const signal of ['SIGUSR1', 'SIGHUP'] as const) {
  test(`${signal} reopens the log: after a rename, new lines go to a new file at the old path`, async () => {
    const rotated = `${logPath}.${signal}`;
    const before = agentFor(`before-${signal}`);
    await fetchRaw(port, `/${small.name}`, { 'User-Agent': before });
    await lineOf(before);
    await rename(logPath, rotated);
    const created = fileCreated(logPath);
    server.child.kill(signal);
    await created;
    // SIGHUP is a whole reload: the new log is in use once the reload says it is done, which
    // comes after the new file is created.
    if (signal === 'SIGHUP') {
      await server.stderr.waitFor(/reload \(SIGHUP\): /);
    }
    const after = agentFor(`after-${signal}`);
    await fetchRaw(port, `/${small.name}`, { 'User-Agent': after });
    const line = await lineOf(after);
    assert.equal(line.outcome, 'complete');
    const old = await readFile(rotated, 'utf8');
    assert.ok(old.includes(before), 'the rotated file keeps the earlier lines');
    assert.ok(!old.includes(after), 'a line went to the rotated file');
    assert.equal(server.child.exitCode, null, `${signal} must not stop the server`);
  });
}
