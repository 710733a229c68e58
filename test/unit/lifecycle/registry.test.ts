/**
 * The registry: phase counts kept incrementally, and one record per response handed to the
 * connection's sinks in their fixed order — written when the reply is written, delivered when
 * the connection closes — built from the entry at that moment, never read from it later.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Registry } from '../../../src/lifecycle/registry.js';
import type {
  ClosedRecord,
  ResponseRecord,
  ResponseSink,
} from '../../../src/lifecycle/response-record.js';
import type { ParsedRequest, Reply } from '../../../src/http/types.js';

const socket = (remoteAddress: string, remotePort: number): Socket =>
  ({ remoteAddress, remotePort, localAddress: '::1', localPort: 80 }) as unknown as Socket;

const request: ParsedRequest = {
  method: 'GET',
  target: '/a.iso',
  minorVersion: 1,
  headers: [['user-agent', 'curl']],
};
const reply: Reply = { status: 206, headers: [], body: [], range: 'bytes=0-9' };

class Sink implements ResponseSink {
  constructor(
    readonly name: string,
    readonly log: string[],
  ) {}
  readonly written: ResponseRecord[] = [];
  readonly closed: ClosedRecord[] = [];
  responseWritten(record: ResponseRecord): void {
    this.log.push(`${this.name}: written ${record.written}`);
    this.written.push(record);
  }
  connectionClosed(record: ClosedRecord): void {
    this.log.push(`${this.name}: closed ${record.delivery?.outcome ?? 'null'}`);
    this.closed.push(record);
  }
}

test('records go to the sinks in their order: written at the reply, delivered at the close', () => {
  const order: string[] = [];
  const sinks = [new Sink('log', order), new Sink('metrics', order), new Sink('drain', order)];
  const registry = new Registry();
  const entry = registry.add(socket('2001:db8::1', 5123), sinks);
  assert.equal(registry.size, 1);
  assert.equal(registry.phaseCounts.idle, 1);

  entry.onPhase('reading');
  entry.onRequestStart(request);
  entry.onPhase('responding');
  entry.onResponseStart(request, reply, 10);
  entry.onBodyBytes(10);
  assert.equal(registry.bytesDueInFlight, 0);
  entry.onResponseWritten('complete');
  entry.onPhase('delivering');
  assert.deepEqual(registry.phaseCounts, {
    reading: 0,
    idle: 0,
    responding: 0,
    delivering: 1,
    closed: 0,
  });
  entry.bytesAcked = 10;
  entry.onPhase('closed');
  entry.onClose('delivered');

  assert.deepEqual(order, [
    'log: written complete',
    'metrics: written complete',
    'drain: written complete',
    'log: closed delivered',
    'metrics: closed delivered',
    'drain: closed delivered',
  ]);
  const [written] = sinks[0]?.written ?? [];
  assert.equal(written?.client, '[2001:db8::1]:5123');
  assert.equal(written.status, 206);
  assert.equal(written.bytesDue, 10);
  assert.equal(written.bytesSent, 10);
  assert.deepEqual(sinks[2]?.closed[0], {
    connectionId: entry.id,
    lastResponse: written,
    delivery: { outcome: 'delivered', bytesAcked: 10 },
  });
  assert.equal(registry.size, 0);
  assert.equal(registry.phaseCounts.closed, 0);
});

test('a response is recorded once, and a record does not change when the entry moves on', () => {
  const sink = new Sink('only', []);
  const registry = new Registry();
  const entry = registry.add(socket('127.0.0.1', 4000), [sink]);
  entry.onRequestStart(request);
  entry.onResponseStart(request, reply, 10);
  entry.onBodyBytes(4);
  entry.onResponseWritten('deadline');
  entry.onResponseWritten('aborted'); // a late second report is ignored
  entry.onRequestStart({ ...request, target: '/next' });
  assert.equal(sink.written.length, 1);
  assert.equal(sink.written[0]?.written, 'deadline');
  assert.equal(sink.written[0]?.request.target, '/a.iso');
  assert.equal(sink.written[0]?.bytesSent, 4);
  assert.equal(registry.bytesDueInFlight, 0);
});
