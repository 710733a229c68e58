/**
 * HttpConnection over a real loopback socket pair with a stub handler: the phase sequence,
 * the live limit of each phase, pipelining when a close is requested mid-reply, and a client
 * that half-closes after its request. (The cut reason under each Node's callback order is in
 * cut-reason.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { HttpConnection, type ConnectionOptions } from '../../../src/http/connection.js';
import { DEFAULT_HEAD_LIMITS } from '../../../src/http/parse-request.js';
import type { ParsedRequest, Reply, RequestHandler } from '../../../src/http/types.js';
import { openLoopbackPair, type LoopbackPair } from '../../helpers/loopback-pair.js';
import { parseResponses, type RawResponse } from '../../helpers/raw-http.js';
import { RecordingObserver } from './recording-observer.js';

const OPTIONS: ConnectionOptions = {
  headerTimeoutMs: 300,
  keepaliveTimeoutMs: 400,
  writeIdleTimeoutMs: 500,
  lingerMs: 200,
  limits: DEFAULT_HEAD_LIMITS,
};

function bytesReply(data: Buffer, status = 200): Reply {
  return {
    status,
    headers: [['Content-Length', String(data.length)]],
    body: [{ kind: 'bytes', data }],
  };
}

const echoTarget: RequestHandler = (request) =>
  Promise.resolve(bytesReply(Buffer.from(`you asked for ${request.target}\n`)));

/** Everything the client end receives, parsed into responses as it arrives. */
class Received {
  data = Buffer.alloc(0);
  ended = false;
  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.data = Buffer.concat([this.data, chunk])));
    socket.on('end', () => (this.ended = true));
  }
  get responses(): RawResponse[] {
    return parseResponses(this.data).responses;
  }
}

interface Setup {
  readonly pair: LoopbackPair;
  readonly observer: RecordingObserver;
  readonly connection: HttpConnection;
  readonly received: Received;
}

async function setUp(
  t: { after(fn: () => Promise<void>): void },
  handler: RequestHandler = echoTarget,
  options: ConnectionOptions = OPTIONS,
): Promise<Setup> {
  const pair = await openLoopbackPair();
  t.after(() => pair.close());
  const observer = new RecordingObserver();
  const connection = new HttpConnection(pair.server, handler, observer, options);
  return { pair, observer, connection, received: new Received(pair.client) };
}

const get = (target: string, extra = ''): string =>
  `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

test('phases of a keep-alive exchange, then a closing one delivered', async (t) => {
  const { pair, observer, received } = await setUp(t);
  pair.client.write(get('/a')); // arrives whole: straight to responding
  await observer.waitFor((e) => e.kind === 'written');
  await observer.waitFor((e) => e.kind === 'phase' && e.phase === 'idle');
  const second = get('/b', 'Connection: close\r\n');
  pair.client.write(second.slice(0, 10)); // arrives in two parts: reading in between
  await observer.waitFor((e) => e.kind === 'phase' && e.phase === 'reading');
  pair.client.write(second.slice(10));
  await observer.waitFor((e) => e.kind === 'phase' && e.phase === 'delivering');
  await once(pair.client, 'end'); // the server half-closed after its last reply
  pair.client.end();
  await observer.closed;
  assert.deepEqual(observer.phases, [
    'responding',
    'idle',
    'reading',
    'responding',
    'delivering',
    'closed',
  ]);
  assert.deepEqual(observer.written, ['complete', 'complete']);
  assert.equal(observer.delivery, 'delivered');
  assert.deepEqual(
    received.responses.map((r) => [r.status, r.headers.get('connection'), r.body.toString()]),
    [
      [200, undefined, 'you asked for /a\n'],
      [200, 'close', 'you asked for /b\n'],
    ],
  );
});

/** Each phase's limit, live: what the client sends, and how the connection then ends. */
const LIMITS: ReadonlyArray<{
  readonly phase: string;
  readonly send: string | null;
  readonly limitMs: number;
  readonly handler?: RequestHandler;
  readonly pauseClient?: boolean;
  readonly status: number | null;
  readonly delivery: string | null;
}> = [
  {
    phase: 'idle (fresh)',
    send: null,
    limitMs: OPTIONS.headerTimeoutMs,
    status: null,
    delivery: null,
  },
  {
    phase: 'reading',
    send: 'GET /a HTTP/1.1\r\nHo',
    limitMs: OPTIONS.headerTimeoutMs,
    status: 408,
    delivery: 'delivered',
  },
  {
    phase: 'idle (keep-alive)',
    send: get('/a'),
    limitMs: OPTIONS.keepaliveTimeoutMs,
    status: 200,
    delivery: null,
  },
  {
    phase: 'responding (client takes nothing)',
    send: get('/big'),
    limitMs: OPTIONS.writeIdleTimeoutMs,
    handler: () => Promise.resolve(bytesReply(Buffer.alloc(64 * 1024 * 1024))),
    pauseClient: true,
    status: null,
    delivery: null,
  },
  {
    phase: 'delivering (no ack heard)',
    send: get('/a', 'Connection: close\r\n'),
    limitMs: OPTIONS.writeIdleTimeoutMs,
    status: 200,
    delivery: 'timeout',
  },
  {
    phase: 'delivering (error reply lingers)',
    send: 'GET / HTTP/1.1\r\n\r\n',
    limitMs: OPTIONS.lingerMs,
    status: 400,
    delivery: 'delivered',
  },
];

for (const limit of LIMITS) {
  test(`the ${limit.phase} phase ends after ${limit.limitMs} ms`, async (t) => {
    const { pair, observer, received } = await setUp(t, limit.handler);
    if (limit.pauseClient === true) pair.client.pause();
    const startedMs = Date.now();
    if (limit.send !== null) pair.client.write(limit.send);
    await observer.closed;
    const elapsedMs = Date.now() - startedMs;
    assert.ok(elapsedMs >= limit.limitMs - 20, `closed after ${elapsedMs} ms`);
    assert.ok(elapsedMs < limit.limitMs + 1500, `closed after ${elapsedMs} ms`);
    assert.equal(observer.delivery, limit.delivery);
    if (limit.status !== null) assert.equal(received.responses.at(-1)?.status, limit.status);
  });
}

test('a delivered reply whose bytes are all acknowledged lingers, then closes as delivered', async (t) => {
  const { pair, observer, connection } = await setUp(t);
  pair.client.write(get('/a', 'Connection: close\r\n'));
  await observer.waitFor((e) => e.kind === 'phase' && e.phase === 'delivering');
  const startedMs = Date.now();
  connection.noteAllAcknowledged(); // what the progress sampler says once tx_queue is empty
  pair.client.write('more bytes the server reads and discards');
  await observer.closed;
  const elapsedMs = Date.now() - startedMs;
  assert.ok(elapsedMs >= OPTIONS.lingerMs - 20 && elapsedMs < OPTIONS.writeIdleTimeoutMs);
  assert.equal(observer.delivery, 'delivered');
});

test('during a drain, a reply whose bytes are all acknowledged waits for the client to close, past the linger', async (t) => {
  const { pair, observer, connection } = await setUp(t);
  connection.requestClose(); // what a drain asks of every connection
  pair.client.write(get('/a'));
  await observer.waitFor((e) => e.kind === 'phase' && e.phase === 'delivering');
  connection.noteAllAcknowledged();
  const closedEarly = await Promise.race([
    observer.closed.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(resolve, OPTIONS.lingerMs * 2, false)),
  ]);
  assert.equal(closedEarly, false, 'closed at the linger, before the client read and closed');
  pair.client.end(); // the client has read everything and closes
  await observer.closed;
  assert.equal(observer.delivery, 'delivered');
});

test('a client that keeps sending after a closing reply is closed once it passes the discard bound, not after the linger', async (t) => {
  const { pair, observer } = await setUp(t, echoTarget, { ...OPTIONS, lingerMs: 10_000 });
  pair.client.write('GET / HTTP/1.1\r\n\r\n'); // no Host: 400, then the error reply lingers
  await observer.waitFor((e) => e.kind === 'phase' && e.phase === 'delivering');
  const startedMs = Date.now();
  const flood = Buffer.alloc(16 * 1024, '\r\n');
  const keepSending = (): void => {
    while (!pair.client.destroyed && pair.client.write(flood));
    if (!pair.client.destroyed) pair.client.once('drain', keepSending);
  };
  pair.client.on('error', () => undefined); // the server's close may reset the flood
  keepSending();
  await observer.closed;
  const elapsedMs = Date.now() - startedMs;
  assert.ok(elapsedMs < 2000, `closed after ${elapsedMs} ms, not at the discard bound`);
  assert.equal(observer.delivery, 'delivered');
});

interface PipelineCase {
  readonly name: string;
  /** Sent before the drain asks the connection to close (while /first is being answered). */
  readonly before: readonly string[];
  /** Sent after it. */
  readonly after: readonly string[];
  /** Of `after`, how many bytes the drain counts as in the kernel's receive queue already. */
  readonly inKernel: 'none' | 'all';
  readonly late: RequestHandler | null;
  /** Bodies answered, in order, and the Connection header of each. */
  readonly answered: ReadonlyArray<readonly [string, string | undefined]>;
}

const lateRedirect: RequestHandler = () =>
  Promise.resolve({ ...bytesReply(Buffer.from('moved\n'), 302), closeConnection: true });

const PIPELINES: readonly PipelineCase[] = [
  {
    name: 'requests sent before the drain are answered in order, the last with Connection: close',
    before: ['/first', '/second', '/third'],
    after: [],
    inKernel: 'none',
    late: null,
    answered: [
      ['first\n', undefined],
      ['you asked for /second\n', undefined],
      ['you asked for /third\n', 'close'],
    ],
  },
  {
    name: 'a request sent after the drain began is not answered (refuse)',
    before: ['/first'],
    after: ['/second'],
    inKernel: 'none',
    late: null,
    answered: [['first\n', 'close']],
  },
  {
    name: 'bytes the kernel held when the drain began count as sent before it',
    before: ['/first'],
    after: ['/second'],
    inKernel: 'all',
    late: null,
    answered: [
      ['first\n', undefined],
      ['you asked for /second\n', 'close'],
    ],
  },
  {
    name: 'with a late handler (503/redirect), a request sent after the drain gets its answer',
    before: ['/first', '/second'],
    after: ['/third', '/fourth'],
    inKernel: 'none',
    late: lateRedirect,
    answered: [
      ['first\n', undefined],
      ['you asked for /second\n', undefined],
      ['moved\n', 'close'],
    ],
  },
];

for (const c of PIPELINES) {
  test(`pipelining through a drain: ${c.name}`, async (t) => {
    let release!: (reply: Reply) => void;
    const first = new Promise<Reply>((resolve) => (release = resolve));
    const handler: RequestHandler = (request: ParsedRequest) =>
      request.target === '/first' ? first : echoTarget(request);
    const pair = await openLoopbackPair();
    t.after(() => pair.close());
    const observer = new RecordingObserver();
    const connection = new HttpConnection(
      pair.server,
      handler,
      observer,
      OPTIONS,
      undefined,
      c.late,
    );
    const received = new Received(pair.client);
    const before = c.before.map((target) => get(target)).join('');
    const after = c.after.map((target) => get(target)).join('');
    pair.client.write(before);
    await observer.waitFor((e) => e.kind === 'request');
    // Everything sent so far has been read: the heads wait behind /first.
    while (pair.server.bytesRead < before.length) await once(pair.server, 'data');
    // A drain began while /first was being answered.
    connection.requestClose(c.inKernel === 'all' ? after.length : 0);
    pair.client.write(after);
    while (pair.server.bytesRead < before.length + after.length) await once(pair.server, 'data');
    release(bytesReply(Buffer.from('first\n')));
    await once(pair.client, 'end');
    pair.client.end();
    await observer.closed;
    assert.deepEqual(
      received.responses.map((r) => [r.body.toString(), r.headers.get('connection')]),
      c.answered,
    );
  });
}

test('an idle connection asked to close still answers one request (the last-request window)', async (t) => {
  const { pair, observer, connection, received } = await setUp(t);
  pair.client.write(get('/a'));
  await observer.waitFor((e) => e.kind === 'phase' && e.phase === 'idle');
  connection.requestClose();
  pair.client.write(get('/b') + get('/c'));
  await once(pair.client, 'end');
  pair.client.end();
  await observer.closed;
  assert.deepEqual(
    received.responses.map((r) => [r.body.toString(), r.headers.get('connection')]),
    [
      ['you asked for /a\n', undefined],
      ['you asked for /b\n', 'close'],
    ],
  );
});

test('closeIfIdle: only a connection with no request under way is closed', async (t) => {
  const { pair, observer, connection } = await setUp(t);
  pair.client.write('GET /a HTTP/1.1\r\n');
  await observer.waitFor((e) => e.kind === 'phase' && e.phase === 'reading');
  assert.equal(connection.closeIfIdle(), false);
  pair.client.write('Host: x\r\n\r\n');
  await observer.waitFor((e) => e.kind === 'phase' && e.phase === 'idle');
  assert.equal(connection.closeIfIdle(), true);
  await once(pair.client, 'end');
  pair.client.end();
  await observer.closed;
  assert.equal(observer.delivery, 'delivered');
});

test('a client that half-closes right after its request still gets the whole reply, then the close', async (t) => {
  const body = Buffer.alloc(4 * 1024 * 1024, 0x62);
  const { pair, observer, received } = await setUp(t, () => Promise.resolve(bytesReply(body)));
  pair.client.end(get('/big'));
  await once(pair.client, 'end');
  await observer.closed;
  // (Its head may or may not say close: the handler can answer before the FIN is read.)
  const [response] = received.responses;
  assert.ok(response?.body.equals(body));
  assert.deepEqual(observer.written, ['complete']);
  assert.equal(observer.delivery, 'delivered');
});
