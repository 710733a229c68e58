/**
 * Two ebb nodes behind Debian's real HAProxy (`option httpchk GET /ready`, `check port` of the
 * admin listener, `inter 200ms fall 3`), a steady mixed load and 20 long throttled downloads
 * through it: draining one node (SIGINT) costs no client an error, every long download arrives
 * intact, and the load moves to the peer. With `--drain-delay auto` and with a fixed delay.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEbb, stopAll, type EbbServer } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { adminPortOf } from '../helpers/admin.js';
import { runHaproxyDrain, type MirrorNode } from '../helpers/haproxy-drain.js';

after(stopAll);

const root = await makeTempDir('ebb-mirror-');
after(root.remove);
const smallFiles = [
  await writeRandomFile(root.path, 'small.bin', 4096),
  await writeRandomFile(root.path, 'medium.bin', 96 * 1024),
];
const longFile = await writeRandomFile(root.path, 'long.iso', 3 * 1024 * 1024);

async function startNode(
  name: string,
  drainDelay: string,
): Promise<MirrorNode & { server: EbbServer }> {
  const server = await startEbb([
    ...['--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--access-log', 'off'],
    ...['--rate-per-connection', '1MB/s', '--drain-delay', drainDelay],
    root.path,
  ]);
  return {
    name,
    server,
    port: server.port,
    checkPort: adminPortOf(server.stderr.lines),
    checkPath: '/ready',
    drain: () => server.child.kill('SIGINT'),
    exited: server.exited,
  };
}

interface Case {
  readonly drainDelay: string;
  readonly longConnectionClose: boolean;
}

const CASES: readonly Case[] = [
  { drainDelay: 'auto', longConnectionClose: false },
  { drainDelay: '1s', longConnectionClose: false },
  { drainDelay: 'auto', longConnectionClose: true },
];

for (const { drainDelay, longConnectionClose } of CASES) {
  const close = longConnectionClose ? ', long downloads saying Connection: close' : '';
  test(`behind HAProxy, --drain-delay ${drainDelay}${close}: draining a node costs no client an error`, async (t) => {
    const work = await makeTempDir('ebb-haproxy-');
    after(work.remove);
    const a = await startNode('a', drainDelay);
    const b = await startNode('b', drainDelay);
    const figures = await runHaproxyDrain({
      nodes: [a, b],
      workDir: work.path,
      checkIntervalMs: 200,
      smallFiles,
      longFile,
      longDownloads: 20,
      longConnectionClose,
      loadClients: 6,
      loadPauseMs: 20,
      // In service a while: ebb says so once HAProxy has checked it twice.
      checkedLongEnough: () =>
        a.server.stderr
          .waitFor(/health checker 127\.0\.0\.1 polls \/ready every/)
          .then(() => undefined),
    });
    const report = `${JSON.stringify(figures)}\n${a.server.stderr.text()}`;
    // After a Connection: close reply HAProxy closes its client's socket with the last bytes
    // still queued in the kernel, which resets such sockets when TCP memory runs short
    // machine-wide (tcp-aborts.ts): a loss then is the machine's, reported, not failed.
    if ((figures.kernelAbortsOnMemory ?? 0) > 0 && figures.longIntact < figures.longTotal) {
      t.todo(`the kernel reset ${figures.kernelAbortsOnMemory} sockets for want of TCP memory`);
    }
    assert.equal(figures.clientErrors, 0, report);
    assert.equal(figures.longIntact, figures.longTotal, report);
    assert.ok(figures.longOnDrained > 0, `no long download was on the drained node: ${report}`);
    assert.ok(figures.peerRequestsAfter > 0, report);
    assert.equal(((await a.exited) as { code: number | null }).code, 0);
    if (drainDelay === 'auto') {
      assert.match(a.server.stderr.text(), /every health checker has been answered 503 3 times/);
      // The node served on until HAProxy had taken it out, then no more.
      assert.ok(figures.markedDownMs !== null, report);
    }
    b.server.child.kill('SIGINT');
    await b.exited;
  });
}
