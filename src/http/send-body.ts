/**
 * Streams a reply's body to a socket: literal bytes and byte ranges read from the reply's
 * descriptor, one chunk at a time, the next read only after the kernel took the last write.
 *
 * The chunk size follows the client, and what matters is the chunk a write is holding when
 * the client stops taking bytes: that buffer stays pinned until the client drains it. A new
 * response starts at PROBE_CHUNK_BYTES. A client that took more in RATE_WINDOW_MS than any
 * send buffer can swallow (FAST_WINDOW_BYTES) is fast: large reads. A write that waited
 * longer than SLOW_WAIT_MS marks a slow client: small reads, one small buffer pinned.
 * (Counting bytes alone would mislead: a kernel send buffer on a fat pipe takes megabytes
 * from a slow client's first writes at once.)
 */
import { close, read } from 'node:fs';
import type { Socket } from 'node:net';
import type { BodySegment, ConnectionObserver } from './types.js';

/**
 * How the sending of a body ended, as the sender saw it. The sender never says why a write
 * failed: a write fails both when the client went away and when the connection was cut (Node 22+
 * completes pending writes with ECANCELED when the socket is destroyed), and only the connection
 * knows which it was.
 */
export type BodyEnd = 'sent' | 'write-failed' | 'read-failed';

export const MIN_CHUNK_BYTES = 8 * 1024;
export const PROBE_CHUNK_BYTES = 8 * 1024;
export const MAX_CHUNK_BYTES = 512 * 1024;
const SLOW_WAIT_MS = 50;
const RATE_WINDOW_MS = 2000;
/** More than Linux's largest autotuned send buffer (4 MiB by default). */
const FAST_WINDOW_BYTES = 8 * 1024 * 1024;

export type Pace = 'probing' | 'fast' | 'slow';

/** The pace after a write of the response completed: pure, for tests. */
export function nextPace(pace: Pace, waitedMs: number, windowBytes: number): Pace {
  if (waitedMs > SLOW_WAIT_MS) return 'slow';
  if (windowBytes >= FAST_WINDOW_BYTES) return 'fast';
  return pace;
}

export function chunkBytesFor(pace: Pace): number {
  return pace === 'fast' ? MAX_CHUNK_BYTES : pace === 'slow' ? MIN_CHUNK_BYTES : PROBE_CHUNK_BYTES;
}

export class BodySender {
  private segmentIndex = 0;
  private position = 0;
  /** The segment `position` is in (-1: none yet). */
  private positionSegment = -1;
  private pace: Pace = 'probing';
  private buffer: Buffer | null = null;
  private head: string | null;
  private readInFlight = false;
  private writeBytes = 0;
  private writeStartedMs = 0;
  private windowStartMs = Date.now();
  private windowBytes = 0;
  private ended: BodyEnd | 'stopped' | null = null;
  private fdClosed = false;

  constructor(
    private readonly socket: Socket,
    private readonly fd: number | undefined,
    private readonly segments: ReadonlyArray<BodySegment>,
    head: string,
    private readonly observer: ConnectionObserver,
    private readonly done: (end: BodyEnd) => void,
  ) {
    this.head = head;
  }

  start(): void {
    this.next();
  }

  /**
   * Stops sending (the socket closed): releases the buffer and the descriptor without calling
   * `done`, since the caller already knows how the connection ended. Safe to call more than once.
   */
  stop(): void {
    if (this.ended !== null) return;
    this.ended = 'stopped';
    this.release();
  }

  private next(): void {
    if (this.ended !== null) return;
    const segment = this.segments[this.segmentIndex];
    if (segment === undefined) {
      if (this.head !== null) this.write(Buffer.alloc(0));
      else this.finish('sent');
      return;
    }
    if (segment.kind === 'bytes') {
      this.segmentIndex++;
      this.write(segment.data);
      return;
    }
    // Each file segment starts afresh: a multipart's ranges may come in any order.
    if (this.positionSegment !== this.segmentIndex) {
      this.positionSegment = this.segmentIndex;
      this.position = segment.start;
    }
    const remaining = segment.end - this.position + 1;
    if (remaining <= 0) {
      this.segmentIndex++;
      this.next();
      return;
    }
    this.readChunk(Math.min(remaining, chunkBytesFor(this.pace)));
  }

  private readChunk(length: number): void {
    if (this.fd === undefined) {
      this.finish('read-failed');
      return;
    }
    // A buffer larger than the pace allows is dropped: a slow client must not keep it pinned.
    const chunkBytes = chunkBytesFor(this.pace);
    if (this.buffer === null || this.buffer.length < length || this.buffer.length > chunkBytes) {
      this.buffer = Buffer.allocUnsafeSlow(Math.max(length, MIN_CHUNK_BYTES));
    }
    this.readInFlight = true;
    read(this.fd, this.buffer, 0, length, this.position, (error, bytesRead) => {
      this.readInFlight = false;
      if (this.ended !== null) {
        this.closeFd();
        return;
      }
      // A short read means the file shrank under us; the promised length cannot be kept.
      if (error !== null || bytesRead !== length || this.buffer === null) {
        this.finish('read-failed');
        return;
      }
      this.position += bytesRead;
      this.write(this.buffer.subarray(0, bytesRead));
    });
  }

  private write(data: Buffer): void {
    this.writeBytes = data.length;
    this.writeStartedMs = Date.now();
    if (this.head !== null) {
      // Head and first chunk leave in one writev.
      this.socket.cork();
      this.socket.write(this.head, 'latin1');
      this.head = null;
      this.socket.write(data, this.afterWrite);
      this.socket.uncork();
    } else {
      this.socket.write(data, this.afterWrite);
    }
  }

  private readonly afterWrite = (error?: Error | null): void => {
    if (this.ended !== null) return;
    // Node 20 completes a destroyed socket's pending write without an error: not a success.
    if (error || this.socket.destroyed) {
      this.finish('write-failed');
      return;
    }
    this.observer.onBodyBytes(this.writeBytes);
    this.adaptChunk(this.writeBytes);
    this.next();
  };

  private adaptChunk(bytes: number): void {
    const nowMs = Date.now();
    this.windowBytes += bytes;
    this.pace = nextPace(this.pace, nowMs - this.writeStartedMs, this.windowBytes);
    if (nowMs - this.windowStartMs >= RATE_WINDOW_MS) {
      this.windowStartMs = nowMs;
      this.windowBytes = 0;
    }
  }

  private finish(end: BodyEnd): void {
    if (this.ended !== null) return;
    this.ended = end;
    this.release();
    this.done(end);
  }

  private release(): void {
    this.buffer = null;
    if (!this.readInFlight) this.closeFd();
  }

  private closeFd(): void {
    if (this.fdClosed || this.fd === undefined) return;
    this.fdClosed = true;
    close(this.fd, () => undefined);
  }
}

/** Total body length of a reply's segments. */
export function bodyLength(segments: ReadonlyArray<BodySegment>): number {
  let total = 0;
  for (const segment of segments) {
    total += segment.kind === 'bytes' ? segment.data.length : segment.end - segment.start + 1;
  }
  return total;
}
