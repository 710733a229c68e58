/**
 * The connection registry: every accepted socket from accept to close, with what it is doing
 * and, for a response, how far it has got. Entries are plain mutable records updated in place
 * (no allocation per chunk); counts per phase are kept incrementally so no event costs O(n).
 */
import type { Socket } from 'node:net';
import type { HttpConnection } from '../http/connection.js';
import {
  headerValue,
  type ConnectionObserver,
  type ConnectionPhase,
  type ParsedRequest,
  type Reply,
  type ResponseOutcome,
} from '../http/types.js';
import { tcpKey } from './tcp-queue.js';

/** Smoothing time constant of the transfer rate. */
export const RATE_TAU_MS = 10_000;

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
  /** How the delivery of the last reply ended, once the socket closed while delivering it. */
  delivery: ResponseOutcome | null = null;

  constructor(
    id: number,
    socket: Socket,
    private readonly registry: Registry,
  ) {
    this.id = id;
    this.remoteAddress = socket.remoteAddress ?? '-';
    this.remotePort = socket.remotePort ?? 0;
    this.tcpKey = tcpKey(socket);
  }

  /** `HOST:PORT` of the client (IPv6 in brackets), for status rows. */
  get client(): string {
    this.clientText ??= this.remoteAddress.includes(':')
      ? `[${this.remoteAddress}]:${this.remotePort}`
      : `${this.remoteAddress}:${this.remotePort}`;
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

  onResponseEnd(outcome: ResponseOutcome): void {
    if (!this.inResponse) return;
    this.inResponse = false;
    this.registry.bytesDueInFlight -= this.bytesDue - this.bytesSent;
    this.registry.responseEnded(this, outcome);
  }

  onPhase(phase: ConnectionPhase): void {
    this.registry.phaseCounts[this.phase]--;
    this.registry.phaseCounts[phase]++;
    this.phase = phase;
  }

  onClose(delivery: ResponseOutcome | null): void {
    this.delivery = delivery;
    this.registry.remove(this);
  }

  /** Bytes of the body still to reach the client. */
  get bytesLeft(): number {
    return Math.max(0, this.bytesDue - this.bytesAcked);
  }

  get userAgent(): string | undefined {
    return this.request === null ? undefined : headerValue(this.request, 'user-agent');
  }
}

export type RemoveListener = (entry: ConnectionEntry) => void;
export type ResponseEndListener = (entry: ConnectionEntry, outcome: ResponseOutcome) => void;

export class Registry {
  private readonly entries = new Set<ConnectionEntry>();
  private nextId = 1;
  private emptyWaiters: Array<() => void> = [];
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
  readonly responseEndListeners: ResponseEndListener[] = [];
  readonly removeListeners: RemoveListener[] = [];

  add(socket: Socket): ConnectionEntry {
    const entry = new ConnectionEntry(this.nextId++, socket, this);
    this.entries.add(entry);
    this.phaseCounts.idle++;
    this.acceptedTotal++;
    return entry;
  }

  remove(entry: ConnectionEntry): void {
    if (!this.entries.delete(entry)) return;
    this.phaseCounts.closed--;
    for (const listener of this.removeListeners) listener(entry);
    if (this.entries.size === 0) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  responseEnded(entry: ConnectionEntry, outcome: ResponseOutcome): void {
    for (const listener of this.responseEndListeners) listener(entry, outcome);
  }

  get size(): number {
    return this.entries.size;
  }

  [Symbol.iterator](): IterableIterator<ConnectionEntry> {
    return this.entries.values();
  }

  /** Resolves when no connection is left (at once if none is). */
  whenEmpty(): Promise<void> {
    if (this.entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }
}
