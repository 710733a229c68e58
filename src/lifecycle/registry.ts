/**
 * The connection registry: every accepted socket from accept to close, with what it is doing
 * and, for a response, how far it has got. Entries are plain mutable records updated in place
 * (no allocation per chunk); counts per phase are kept incrementally so no event costs O(n).
 * When a response is written and when a connection closes, its entry hands one record to the
 * connection's sinks, in their order.
 */
import type { Socket } from 'node:net';
import type { HttpConnection } from '../http/connection.js';
import {
  headerValue,
  isCutReason,
  type ConnectionObserver,
  type ConnectionPhase,
  type DeliveryOutcome,
  type ParsedRequest,
  type Reply,
  type WriteOutcome,
} from '../http/types.js';
import { sendQueueNow } from '../progress/send-queue-now.js';
import { tcpKey } from '../progress/tcp-key.js';
import { formatAddress } from './listeners.js';
import type { ResponseRecord, ResponseSink } from './response-record.js';

export class ConnectionEntry implements ConnectionObserver {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly acceptedAtMs = Date.now();
  /** Key of this socket's row in /proc/net/tcp{,6}; '' when unknown. */
  readonly tcpKey: string;
  connection: HttpConnection | null = null;
  phase: ConnectionPhase = 'idle';
  requests = 0;
  /** Current (or last) request and response. */
  request: ParsedRequest | null = null;
  requestStartMs = 0;
  status = 0;
  range: string | null = null;
  bytesDue = 0;
  /** Body bytes handed to the kernel. */
  bytesSent = 0;
  /** Body bytes the client acknowledged (equals bytesSent where the kernel cannot be asked). */
  bytesAcked = 0;
  /** Smoothed rate of acknowledged body bytes, bytes per second. */
  rateBytesPerSec = 0;
  lastSampleMs = 0;
  lastProgressMs = 0;
  inResponse = false;
  private clientText: string | null = null;
  private requestStartText: string | null = null;
  private lastResponse: ResponseRecord | null = null;

  constructor(
    id: number,
    socket: Socket,
    private readonly registry: Registry,
    private readonly sinks: readonly ResponseSink[],
  ) {
    this.id = id;
    this.remoteAddress = socket.remoteAddress ?? '-';
    this.remotePort = socket.remotePort ?? 0;
    this.tcpKey = tcpKey(socket);
  }

  /** `HOST:PORT` of the client (IPv6 in brackets), for status rows. */
  get client(): string {
    this.clientText ??= formatAddress(this.remoteAddress, this.remotePort);
    return this.clientText;
  }

  /** When the current request began, as ISO 8601; formatted once, on first look. */
  get requestStartIso(): string {
    this.requestStartText ??= new Date(this.requestStartMs).toISOString();
    return this.requestStartText;
  }

  onRequestStart(request: ParsedRequest): void {
    this.requestStartText = null;
    this.requests++;
    this.registry.requestsTotal++;
    this.request = request;
    this.requestStartMs = Date.now();
    this.status = 0;
    this.range = null;
    this.bytesDue = 0;
    this.bytesSent = 0;
    this.bytesAcked = 0;
    this.rateBytesPerSec = 0;
    this.lastSampleMs = this.requestStartMs;
    this.lastProgressMs = this.requestStartMs;
  }

  onResponseStart(request: ParsedRequest, reply: Reply, bytesDue: number): void {
    this.request = request;
    this.status = reply.status;
    this.range = reply.range ?? null;
    this.bytesDue = bytesDue;
    this.inResponse = true;
    this.registry.bytesDueInFlight += bytesDue;
  }

  onBodyBytes(bytes: number): void {
    this.bytesSent += bytes;
    this.lastProgressMs = Date.now();
    this.registry.bytesDueInFlight -= bytes;
    this.registry.bodyBytesTotal += bytes;
  }

  onResponseWritten(outcome: WriteOutcome): void {
    if (!this.inResponse) return;
    this.inResponse = false;
    const bytesAcked = isCutReason(outcome) ? this.acknowledgedAtCut() : null;
    if (bytesAcked !== null) this.bytesAcked = bytesAcked;
    this.registry.bytesDueInFlight -= this.bytesDue - this.bytesSent;
    const record: ResponseRecord = {
      connectionId: this.id,
      remoteAddress: this.remoteAddress,
      client: this.client,
      request: this.request ?? UNKNOWN_REQUEST,
      startedAtMs: this.requestStartMs,
      endedAtMs: Date.now(),
      status: this.status,
      bytesDue: this.bytesDue,
      bytesSent: this.bytesSent,
      bytesAcked,
      written: outcome,
    };
    this.lastResponse = record;
    for (const sink of this.sinks) sink.responseWritten(record);
  }

  /**
   * Called before the cut destroys the socket (its /proc row is still there): the body bytes the
   * kernel certainly took (their writes completed) less what it holds unacknowledged. A write
   * still in progress may have put more in the kernel: those count as unacknowledged, so this is
   * never more than the client got.
   */
  private acknowledgedAtCut(): number | null {
    const txQueue = sendQueueNow(this.tcpKey);
    if (txQueue === undefined) return null;
    return Math.max(0, this.bytesSent - txQueue); // cut while writing: no FIN in tx_queue
  }

  onPhase(phase: ConnectionPhase): void {
    this.registry.phaseCounts[this.phase]--;
    this.registry.phaseCounts[phase]++;
    this.phase = phase;
  }

  onClose(delivery: DeliveryOutcome | null): void {
    this.registry.remove(this);
    const record = {
      connectionId: this.id,
      lastResponse: this.lastResponse,
      delivery: delivery === null ? null : { outcome: delivery, bytesAcked: this.bytesAcked },
    };
    for (const sink of this.sinks) sink.connectionClosed(record);
  }

  /** Bytes of the body still to reach the client. */
  get bytesLeft(): number {
    return Math.max(0, this.bytesDue - this.bytesAcked);
  }

  get userAgent(): string | undefined {
    return this.request === null ? undefined : headerValue(this.request, 'user-agent');
  }
}

const UNKNOWN_REQUEST: ParsedRequest = { method: '', target: '', minorVersion: 1, headers: [] };

export class Registry {
  private readonly entries = new Set<ConnectionEntry>();
  private nextId = 1;
  readonly phaseCounts: Record<ConnectionPhase, number> = {
    reading: 0,
    idle: 0,
    responding: 0,
    delivering: 0,
    closed: 0,
  };
  bytesDueInFlight = 0;
  bodyBytesTotal = 0;
  acceptedTotal = 0;
  requestsTotal = 0;

  /** Adds an accepted socket; its records go to `sinks`, in that order. */
  add(socket: Socket, sinks: readonly ResponseSink[]): ConnectionEntry {
    const entry = new ConnectionEntry(this.nextId++, socket, this, sinks);
    this.entries.add(entry);
    this.phaseCounts.idle++;
    this.acceptedTotal++;
    return entry;
  }

  remove(entry: ConnectionEntry): void {
    if (!this.entries.delete(entry)) return;
    this.phaseCounts.closed--;
  }

  get size(): number {
    return this.entries.size;
  }

  [Symbol.iterator](): IterableIterator<ConnectionEntry> {
    return this.entries.values();
  }
}
