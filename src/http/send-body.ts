/**
 * Streams a reply's body to a socket: literal bytes and byte ranges read from the reply's
 * descriptor, one chunk at a time, the next read only after the kernel took the last write.
 *
 * The chunk size follows the client: it grows while writes complete at once (a fast reader
 * gets few, large reads) and shrinks when a write has to wait (a slow reader pins one small
 * buffer, not a large one, while the kernel's send buffer drains).
 */
import { close, read } from 'node:fs';
import type { Socket } from 'node:net';
import type { BodySegment, ConnectionObserver, ResponseOutcome } from './types.js';

export const MIN_CHUNK_BYTES = 8 * 1024;
export const START_CHUNK_BYTES = 64 * 1024;
export const MAX_CHUNK_BYTES = 512 * 1024;
/** A write that waited longer than this means the client, not the disk, sets the pace. */
const SLOW_WRITE_MS = 20;

export class BodySender {
  private segmentIndex = 0;
  private position = 0;
  private chunkBytes = START_CHUNK_BYTES;
  private buffer: Buffer | null = null;
  private head: string | null;
  private readInFlight = false;
  private writeStartedMs = 0;
  private writeBytes = 0;
  private outcome: ResponseOutcome | null = null;
  private fdClosed = false;

  constructor(
    private readonly socket: Socket,
    private readonly fd: number | undefined,
    private readonly segments: ReadonlyArray<BodySegment>,
    head: string,
    private readonly observer: ConnectionObserver,
    private readonly done: (outcome: ResponseOutcome) => void,
  ) {
    this.head = head;
  }

  start(): void {
    this.next();
  }

  /** Ends the body early (the socket closed or was cut). Safe to call more than once. */
  abort(outcome: ResponseOutcome): void {
    this.finish(outcome);
  }

  private next(): void {
    if (this.outcome !== null) return;
    const segment = this.segments[this.segmentIndex];
    if (segment === undefined) {
      if (this.head !== null) this.write(Buffer.alloc(0));
      else this.finish('complete');
      return;
    }
    if (segment.kind === 'bytes') {
      this.segmentIndex++;
      this.write(segment.data);
      return;
    }
    if (this.position < segment.start) this.position = segment.start;
    const remaining = segment.end - this.position + 1;
    if (remaining <= 0) {
      this.segmentIndex++;
      this.next();
      return;
    }
    this.readChunk(Math.min(remaining, this.chunkBytes));
  }

  private readChunk(length: number): void {
    if (this.fd === undefined) {
      this.finish('error');
      return;
    }
    if (
      this.buffer === null ||
      this.buffer.length < length ||
      this.buffer.length > this.chunkBytes
    ) {
      this.buffer = Buffer.allocUnsafeSlow(Math.max(length, MIN_CHUNK_BYTES));
    }
    this.readInFlight = true;
    read(this.fd, this.buffer, 0, length, this.position, (error, bytesRead) => {
      this.readInFlight = false;
      if (this.outcome !== null) {
        this.closeFd();
        return;
      }
      // A short read means the file shrank under us; the promised length cannot be kept.
      if (error !== null || bytesRead !== length || this.buffer === null) {
        this.finish('error');
        return;
      }
      this.position += bytesRead;
      this.write(this.buffer.subarray(0, bytesRead));
    });
  }

  private write(data: Buffer): void {
    this.writeStartedMs = Date.now();
    this.writeBytes = data.length;
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
    if (this.outcome !== null) return;
    if (error) {
      this.finish('aborted');
      return;
    }
    this.observer.onBodyBytes(this.writeBytes);
    this.adaptChunk(Date.now() - this.writeStartedMs);
    this.next();
  };

  private adaptChunk(waitedMs: number): void {
    if (waitedMs <= 1) this.chunkBytes = Math.min(MAX_CHUNK_BYTES, this.chunkBytes * 2);
    else if (waitedMs > SLOW_WRITE_MS) {
      this.chunkBytes = Math.max(MIN_CHUNK_BYTES, this.chunkBytes / 4);
    }
  }

  private finish(outcome: ResponseOutcome): void {
    if (this.outcome !== null) return;
    this.outcome = outcome;
    this.buffer = null;
    if (!this.readInFlight) this.closeFd();
    this.done(outcome);
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
