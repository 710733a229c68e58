/**
 * Connections the kernel completed before the drain closed the listener (issue 14, item 1):
 * they wait in the accept queue, their clients have connected and sent a request, and closing
 * the listener would reset every one. ebb accepts what is queued before it closes, answers each,
 * and only later connects are refused.
 *
 * The server is made busy for real: it is stopped (SIGSTOP) while idle in epoll_wait, during
 * `--drain-delay`, and the burst completes its handshakes into the accept queue (checked in
 * /proc/net/tcp). It is resumed once the delay is over, as a loaded machine resumes a process:
 * epoll_wait returns EINTR, libuv runs the now-due timer that closes the listener before it polls
 * the listener again, so the whole burst is still queued at the close (before the fix: 60 resets).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, sha256, writeRandomFile } from '../helpers/fixtures.js';
import { parseResponses } from '../helpers/raw-http.js';
import { listenTcpKey, readQueuesNow } from '../../src/progress/kernel-queues-now.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const file = await writeRandomFile(root.path, 'small.bin', 16 * 1024);
const BURST = 60;

type Outcome =
  | {
      readonly kind: 'answered';
      readonly status: number;
      readonly sha256: string;
      readonly connection: string;
    }
  | { readonly kind: 'refused' }
  | { readonly kind: 'reset'; readonly code: string };

/** When the last burst answer arrived. */
let lastAnswerAtMs = 0;

/** Connects, sends one GET once connected, and reads to the end. */
function fetchOnce(port: number, connected?: () => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    socket.on('connect', () => {
      socket.write(`GET /${file.name} HTTP/1.1\r\nHost: burst\r\n\r\n`, () => connected?.());
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      resolve(
        error.code === 'ECONNREFUSED'
          ? { kind: 'refused' }
          : { kind: 'reset', code: error.code ?? '?' },
      );
    });
    socket.on('end', () => {
      socket.end();
      if (connected !== undefined) lastAnswerAtMs = Date.now();
      const [response] = parseResponses(Buffer.concat(chunks)).responses;
      resolve(
        response === undefined
          ? { kind: 'reset', code: 'EOF without a response' }
          : {
              kind: 'answered',
              status: response.status,
              sha256: sha256(response.body),
              connection: response.headers.get('connection') ?? '',
            },
      );
    });
  });
}

/** epoll_wait, epoll_pwait, epoll_pwait2 in /proc/PID/syscall, per architecture. */
const EPOLL_SYSCALLS: Readonly<Record<string, readonly string[]>> = {
  x64: ['232', '281', '441'],
  arm64: ['22', '441'],
};

/** Stops `pid` (SIGSTOP) at a moment its main thread is idle in epoll_wait. */
async function stopWhileIdle(pid: number): Promise<void> {
  const idle = EPOLL_SYSCALLS[process.arch] ?? [];
  for (let tries = 0; tries < 50; tries++) {
    process.kill(pid, 'SIGSTOP');
    const syscall = readFileSync(`/proc/${pid}/syscall`, 'latin1').split(' ')[0] ?? '';
    if (idle.includes(syscall)) return;
    process.kill(pid, 'SIGCONT'); // caught running: let it go back to its loop
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`could not stop pid ${pid} while idle in epoll_wait`);
}

const DELAY_MS = 300;

test(`a burst of ${BURST} connections completed just before the drain closes the listener (ebb held) is answered; later connects are refused (within 100 ms of the burst's last answer)`, async (t) => {
  const server = await startEbb([
    '--listen',
    '127.0.0.1:0',
    '--access-log',
    'off',
    '--drain-delay',
    `${DELAY_MS}ms`,
    root.path,
  ]);
  t.after(() => {
    if (server.child.exitCode === null) process.kill(server.pid, 'SIGCONT');
  });
  const port = server.port;
  const signalledAtMs = Date.now();
  server.child.kill('SIGINT');
  await server.stderr.waitFor(/draining \(SIGINT\)/);
  await stopWhileIdle(server.pid);

  // ebb is stopped, its listener still open (the drain delay): the burst connects.
  let connectedCount = 0;
  let allConnected!: () => void;
  const connected = new Promise<void>((resolve) => (allConnected = resolve));
  const burst = Array.from({ length: BURST }, () =>
    fetchOnce(port, () => {
      if (++connectedCount === BURST) allConnected();
    }),
  );
  await connected;
  const queued = readQueuesNow('rx').get(listenTcpKey('127.0.0.1', port));
  assert.equal(queued, BURST, 'the burst waits in the accept queue, not yet accepted');

  // Resume ebb once its listener is due to close (nothing to wait on: ebb is stopped), and
  // connect one after another until refused.
  const dueInMs = signalledAtMs + DELAY_MS + 50 - Date.now();
  if (dueInMs > 0) await new Promise((resolve) => setTimeout(resolve, dueInMs));
  const releasedAtMs = Date.now();
  process.kill(server.pid, 'SIGCONT');
  const probes: Outcome[] = [];
  let refusedAtMs: number | null = null;
  while (refusedAtMs === null && Date.now() - releasedAtMs < 5000) {
    const outcome = await fetchOnce(port);
    probes.push(outcome);
    if (outcome.kind === 'refused') refusedAtMs = Date.now();
  }
  const outcomes = await Promise.all(burst);
  const exit = await server.exited;

  const wanted = { kind: 'answered', status: 200, sha256: file.sha256, connection: 'close' };
  const wrong = outcomes.filter((o) => JSON.stringify(o) !== JSON.stringify(wanted));
  assert.deepEqual(wrong, [], `${wrong.length} of ${BURST} were not answered 200 with the file`);
  const resets = probes.filter((o) => o.kind === 'reset');
  assert.deepEqual(resets, [], 'a connect after the signal is answered or refused, never reset');
  // The listener closes once the burst is accepted (one per event-loop turn: ~1 ms each here,
  // more on a loaded machine): by the time the burst's last answer is out, connects are refused.
  assert.ok(refusedAtMs !== null, 'connects were never refused');
  const afterLastAnswerMs = refusedAtMs - lastAnswerAtMs;
  assert.ok(
    afterLastAnswerMs < 100,
    `refused ${afterLastAnswerMs} ms after the burst's last answer`,
  );
  assert.equal(exit.code, 0);
  console.log(
    `# ${BURST} queued connections answered; ${probes.length - 1} later connects answered, ` +
      `then refused ${refusedAtMs - releasedAtMs} ms after ebb resumed ` +
      `(${afterLastAnswerMs} ms after the burst's last answer)`,
  );
});
