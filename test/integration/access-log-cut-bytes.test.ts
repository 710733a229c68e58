/**
 * The access log of a cut download counts what the client got (issue 14, item 5): the bytes it
 * acknowledged when ebb cut it, not those handed to the kernel or still buffered by Node (a cut
 * resets the connection, so nothing more reaches it). The client counts every body byte it
 * reads, to the end of the connection.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { parseAccessLine } from '../helpers/access-lines.js';
import { waitForLogLine } from '../helpers/raw-http.js';

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const big = await writeRandomFile(root.path, 'big.iso', 24 * 1024 * 1024);
const logs = await makeTempDir('ebb-logs-');
after(logs.remove);

/** Reads a response's body bytes as they come; `pace` decides when to read on. */
class CountingClient {
  readonly socket: Socket;
  /** Body bytes handed to the test so far (its pacing reads this). */
  bodyBytes = 0;
  /** Bytes of the response head, once seen. */
  private headBytes: number | null = null;
  private headSeen = false;
  private head = Buffer.alloc(0);
  readonly ended: Promise<void>;

  /**
   * Body bytes the client's TCP took, read from the kernel: a reset makes Node 22+ drop what it
   * had read but not yet emitted (a paced reader has some), so 'data' alone undercounts.
   */
  get receivedBytes(): number {
    return this.socket.bytesRead - (this.headBytes ?? this.socket.bytesRead);
  }

  constructor(port: number, onBody: (client: CountingClient) => void) {
    this.socket = connect({ port, host: '127.0.0.1' });
    this.socket.on('error', () => undefined); // a cut resets: 'close' follows
    this.ended = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.on('connect', () =>
      this.socket.write(`GET /${big.name} HTTP/1.1\r\nHost: t\r\n\r\n`),
    );
    this.socket.on('data', (chunk: Buffer) => {
      if (this.headSeen) {
        this.bodyBytes += chunk.length;
      } else {
        this.head = Buffer.concat([this.head, chunk]);
        const end = this.head.indexOf('\r\n\r\n');
        if (end === -1) return;
        this.headSeen = true;
        this.headBytes = end + 4;
        this.bodyBytes += this.head.length - end - 4;
      }
      onBody(this);
    });
  }
}

/** What may be on the wire, unacknowledged, at a cut of a client that keeps reading (loopback). */
const IN_FLIGHT_BOUND = 1024 * 1024;

/**
 * ebb logs what was acknowledged, never more than the client got; the client may have received
 * segments whose ACK had not reached ebb at the cut (seen: none for the stalled client on Node 20,
 * up to ~5 KB on Node 24; up to ~300 KB for the reading one under load).
 */
function assertLoggedReceived(loggedBytes: number, receivedBytes: number): void {
  const inFlight = receivedBytes - loggedBytes;
  assert.ok(
    inFlight >= 0 && inFlight <= IN_FLIGHT_BOUND,
    `logged ${loggedBytes}, the client received ${receivedBytes}`,
  );
}

const accessLog = (name: string): string => join(logs.path, name);

test('a download cut by the write-idle timeout logs the bytes the client received', async () => {
  const log = accessLog('idle.log');
  const server = await startEbb([
    '--listen',
    '127.0.0.1:0',
    '--access-log',
    log,
    '--write-idle-timeout',
    '1s',
    root.path,
  ]);
  // Reads 1 MiB, then stalls (no reads) until ebb has cut it, then reads what it has.
  let stalled = false;
  const client = new CountingClient(server.port, (c) => {
    if (stalled || c.bodyBytes < 1024 * 1024) return;
    stalled = true;
    c.socket.pause();
  });
  const line = parseAccessLine(await waitForLogLine(log, /" 200 \d+ .* timeout$/, 10_000));
  client.socket.resume();
  await client.ended;
  assertLoggedReceived(Number(line.bytes), client.receivedBytes);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
  console.log(`# timeout cut: logged ${line.bytes}, client received ${client.receivedBytes}`);
});

test('a download cut by the drain deadline logs the bytes the client received', async () => {
  const log = accessLog('deadline.log');
  const server = await startEbb([
    '--listen',
    '127.0.0.1:0',
    '--access-log',
    log,
    '--drain-timeout',
    '1s',
    root.path,
  ]);
  // Reads at ~2 MB/s: pauses after each chunk for the time that chunk is worth.
  const startedMs = Date.now();
  let signalled = false;
  const client = new CountingClient(server.port, (c) => {
    if (!signalled) {
      signalled = true;
      server.child.kill('SIGINT');
    }
    const waitMs = startedMs + c.bodyBytes / 2000 - Date.now();
    if (waitMs <= 0) return;
    c.socket.pause();
    setTimeout(() => c.socket.resume(), waitMs);
  });
  await client.ended;
  assert.equal((await server.exited).code, 3);
  const line = parseAccessLine(await waitForLogLine(log, /" 200 \d+ .* deadline$/));
  assert.ok(client.receivedBytes < big.data.length, 'the download was cut');
  assertLoggedReceived(Number(line.bytes), client.receivedBytes);
  console.log(`# deadline cut: logged ${line.bytes}, client received ${client.receivedBytes}`);
});
