/**
 * Streams a reply's body to a socket: literal bytes and byte ranges read from the reply's
 * descriptor, the next read only after the kernel took the last write.
 *
 * What matters is the memory a write holds when the client stops taking bytes: that buffer
 * stays pinned until the client drains it. So a client that has not proved fast gets its file
 * bytes in slices (slice-pool.ts): one readv fills several (one thread-pool hand-off), and they
 * are written one by one while the kernel takes each at once. The first write it cannot take
 * ends the burst: that one slice stays pinned, the slices not yet written go back (and are read
 * again later), and the next burst starts at one slice again. Each burst the kernel swallowed
 * whole doubles the next read, up to MAX_BURST_BYTES, so a send buffer with room costs a few
 * hand-offs rather than one per slice.
 *
 * A client that took more in RATE_WINDOW_MS than any send buffer can swallow (FAST_WINDOW_BYTES)
 * is fast: large reads written whole. A write that waited longer than SLOW_WAIT_MS marks a slow
 * client again. (Counting bytes alone would mislead: a kernel send buffer on a fat pipe takes
 * megabytes from a slow client's first writes at once.)
 */
import { close, read, readv } from 'node:fs';
import type { Socket } from 'node:net';
import {
  awaitReadTurn,
  borrowSlices,
  bytesOf,
  endLoan,
  endReadTurn,
  lendableBytes,
  leaveReadQueue,
  recycleSlice,
  SLICE_BYTES,
  SLOW_SLICE_BYTES,
} from './slice-pool.js';
import type { BodySegment, ConnectionObserver } from './types.js';

/**
 * How the sending of a body ended, as the sender saw it. The sender never says why a write
 * failed: a write fails both when the client went away and when the connection was cut (Node 22+
 * completes pending writes with ECANCELED when the socket is destroyed), and only the connection
 * knows which it was.
 */
export type BodyEnd = 'sent' | 'write-failed' | 'read-failed';

/**
 * What the sender asks before each read of a file chunk (the rate limits implement it): `grant`
 * is called, now or later, with 1..wantBytes bytes that may be read and written next.
 */
export interface BodyPacer {
  acquire(wantBytes: number, grant: (bytes: number) => void): void;
  /** The sender stopped: a grant still to come must not arrive. */
  cancel(): void;
}

/** No limit: every chunk at once. */
export const UNPACED: BodyPacer = { acquire: (wantBytes, grant) => grant(wantBytes), cancel() {} };

export const MIN_CHUNK_BYTES = SLICE_BYTES;
export const PROBE_CHUNK_BYTES = SLICE_BYTES;
/**
 * A fast client's read, written whole. Not larger: on a 1,500-byte MTU, 4 downloads of 512 MiB
 * ran at 1,497–1,654 MB/s and 0.63–0.70 CPU s/GiB with 512 KiB reads, 1,917–2,124 MB/s and
 * 0.49–0.55 s/GiB with 64 KiB ones (128 KiB: 1,384–1,493). Only on a 64 KiB-MTU loopback did
 * 512 KiB do better (by ~10 %). Following what the kernel took (double when a write was taken
 * whole, halve when not) landed in between on both. nginx without sendfile reads 32 KiB.
 */
export const MAX_CHUNK_BYTES = 64 * 1024;
/** The largest read of a burst in slices (16 of them). */
export const MAX_BURST_BYTES = 128 * 1024;
/** A first chunk up to this size is copied behind its head rather than written beside it. */
const JOINED_WRITE_MAX_BYTES = 16 * 1024;
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

/** The first read of a pace (a probing or slow client's reads then grow burst by burst). */
export function chunkBytesFor(pace: Pace): number {
  return pace === 'fast' ? MAX_CHUNK_BYTES : pace === 'slow' ? MIN_CHUNK_BYTES : PROBE_CHUNK_BYTES;
}

/** A response's first bytes that a client not known to be slow gets in large slices. */
export const EARLY_BYTES = 128 * 1024;

/**
 * The slices a read is cut into (slice-pool.ts): small ones once the client kept a write waiting,
 * or past a response's first EARLY_BYTES until it proved fast (a send buffer can take a megabyte
 * before the first wait, and the write it cannot take stays pinned): pure, for tests.
 */
export function sliceBytesFor(pace: Pace, bodyBytesSent: number): number {
  if (pace === 'slow') return SLOW_SLICE_BYTES;
  return pace === 'fast' || bodyBytesSent < EARLY_BYTES ? SLICE_BYTES : SLOW_SLICE_BYTES;
}

/** The next burst's read after one the kernel took whole (`true`) or not: pure, for tests. */
export function nextBurstBytes(burstBytes: number, takenWhole: boolean): number {
  return takenWhole ? Math.min(MAX_BURST_BYTES, burstBytes * 2) : SLICE_BYTES;
}

export class BodySender {
  private segmentIndex = 0;
  private position = 0;
  /** The segment `position` is in (-1: none yet). */
  private positionSegment = -1;
  private pace: Pace = 'probing';
  /** A fast client's buffer: one large read, written whole. */
  private buffer: Buffer | null = null;
  /** Slices read and not yet written (borrowed from the pool). */
  private ready: Buffer[] = [];
  /** The slice a write the kernel could not take at once still holds. */
  private pinned: Buffer | null = null;
  private burstBytes = SLICE_BYTES;
  private head: string | null;
  private readInFlight = false;
  /** Waiting for a read turn (slice-pool.ts). */
  private waitingForTurn = false;
  /** The slices a readv in flight fills, and the bytes it was asked for. */
  private reading: Buffer[] = [];
  private sliceReadBytes = 0;
  /** The length of each write not yet called back, oldest first (one per slice of a burst). */
  private readonly writeBytes: number[] = [];
  /** Body bytes handed to the socket so far (file bytes and literal ones). */
  private bodyBytesSent = 0;
  private lastWriteMs = 0;
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
    private readonly pacer: BodyPacer = UNPACED,
  ) {
    this.head = head;
  }

  start(): void {
    this.next();
  }

  /**
   * Stops sending (the socket closed): releases the buffers and the descriptor without calling
   * `done`, since the caller already knows how the connection ended. Safe to call more than once.
   */
  stop(): void {
    if (this.ended !== null) return;
    this.ended = 'stopped';
    this.release();
  }

  private next(): void {
    if (this.ended !== null) return;
    // Slices kept across a wait (a paced client: their bytes were granted already).
    if (this.ready.length > 0) {
      this.writeSlices();
      return;
    }
    const segment = this.segments[this.segmentIndex];
    if (segment === undefined) {
      if (this.head !== null) this.send(Buffer.alloc(0));
      else this.finish('sent');
      return;
    }
    if (segment.kind === 'bytes') {
      this.segmentIndex++;
      this.send(segment.data);
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
    const wantBytes =
      this.pace === 'fast'
        ? Math.min(remaining, MAX_CHUNK_BYTES)
        : lendableBytes(Math.min(remaining, this.burstBytes));
    this.pacer.acquire(wantBytes, this.onGrant);
  }

  private readonly onGrant = (bytes: number): void => {
    if (this.ended !== null) return;
    if (this.fd === undefined) this.finish('read-failed');
    else if (this.pace === 'fast') this.readWhole(this.fd, bytes);
    else this.readSlices(bytes);
  };

  private readWhole(fd: number, length: number): void {
    if (this.buffer === null || this.buffer.length < length) {
      this.buffer = Buffer.allocUnsafeSlow(Math.max(length, MAX_CHUNK_BYTES));
    }
    this.readInFlight = true;
    read(fd, this.buffer, 0, length, this.position, (error, bytesRead) => {
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
      this.send(this.buffer.subarray(0, bytesRead));
    });
  }

  private readSlices(length: number): void {
    this.readInFlight = true;
    this.sliceReadBytes = length;
    this.waitingForTurn = true;
    awaitReadTurn(this.startSliceRead);
  }

  /** Called once the read has its turn (maybe at once, inside awaitReadTurn): one per sender. */
  private readonly startSliceRead = (): void => {
    this.waitingForTurn = false;
    // onGrant checked the descriptor; a stopped sender left the queue in release().
    this.reading = borrowSlices(this.sliceReadBytes, sliceBytesFor(this.pace, this.bodyBytesSent));
    readv(this.fd!, this.reading, this.position, this.afterSliceRead);
  };

  private readonly afterSliceRead = (error: Error | null, bytesRead: number): void => {
    const slices = this.reading;
    this.reading = [];
    this.readInFlight = false;
    endReadTurn();
    if (this.ended !== null || error !== null || bytesRead !== this.sliceReadBytes) {
      giveBack(slices);
      if (this.ended !== null) this.closeFd();
      // A short read means the file shrank under us; the promised length cannot be kept.
      else this.finish('read-failed');
      return;
    }
    this.position += bytesRead;
    this.ready = slices;
    this.writeSlices();
  };

  /**
   * Writes the ready slices while the kernel takes each one at once; the first it cannot take
   * ends the burst. The write callbacks (on the next tick) call `next()` once all are done.
   */
  private writeSlices(): void {
    const slices = this.ready;
    let index = 0;
    while (index < slices.length) {
      const slice = slices[index++]!;
      endLoan(slice);
      this.send(slice);
      if (this.socket.writableLength > 0) {
        this.pinned = slice;
        break;
      }
      // The kernel copied it: the slice is free for the next read, anyone's.
      recycleSlice(slice);
    }
    const left = slices.slice(index);
    this.ready = [];
    this.burstBytes = nextBurstBytes(this.burstBytes, left.length === 0 && this.pinned === null);
    if (left.length === 0) return;
    if (this.pacer !== UNPACED) {
      // Granted bytes are kept (and few: one grant), not read again and charged twice.
      this.ready = left;
      return;
    }
    this.position -= bytesOf(left);
    giveBack(left);
  }

  private send(data: Buffer): void {
    this.writeBytes.push(data.length);
    this.bodyBytesSent += data.length;
    this.lastWriteMs = Date.now();
    if (this.head !== null && data.length <= JOINED_WRITE_MAX_BYTES) {
      // A small body leaves with its head as one buffer: one plain write, no writev.
      const headBytes = Buffer.byteLength(this.head, 'latin1');
      const joined = Buffer.allocUnsafe(headBytes + data.length);
      joined.write(this.head, 0, 'latin1');
      data.copy(joined, headBytes);
      this.head = null;
      this.socket.write(joined, this.written);
    } else if (this.head !== null) {
      // Head and first chunk leave in one writev.
      this.socket.cork();
      this.socket.write(this.head, 'latin1');
      this.head = null;
      this.socket.write(data, this.written);
      this.socket.uncork();
    } else {
      this.socket.write(data, this.written);
    }
  }

  /**
   * One callback for every write, so that the writes the kernel took at once are called back in
   * one tick (Node batches a stream's synchronous completions when the callback is the same) and
   * no closure is made per write. Writes complete in order: the first count is this one's.
   */
  private readonly written = (error?: Error | null): void => {
    this.afterWrite(error, this.writeBytes.shift() ?? 0);
  };

  private afterWrite(error: Error | null | undefined, bytes: number): void {
    if (this.ended !== null) return;
    // Node 20 completes a destroyed socket's pending write without an error: not a success.
    if (error || this.socket.destroyed) {
      this.finish('write-failed');
      return;
    }
    this.observer.onBodyBytes(bytes);
    this.windowBytes += bytes;
    if (this.writeBytes.length > 0) return;
    if (this.pinned !== null) recycleSlice(this.pinned);
    this.pinned = null;
    this.adaptPace();
    this.next();
  }

  private adaptPace(): void {
    const nowMs = Date.now();
    const pace = nextPace(this.pace, nowMs - this.lastWriteMs, this.windowBytes);
    if (pace !== 'fast') this.buffer = null; // a slow client must not keep a large buffer
    this.pace = pace;
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
    this.pacer.cancel();
    if (this.waitingForTurn) {
      // Still waiting for its turn: no read was started, the descriptor is free to close.
      leaveReadQueue(this.startSliceRead);
      this.waitingForTurn = false;
      this.readInFlight = false;
    }
    this.buffer = null;
    // A pinned slice may still be read by its write: the collector takes it, not the pool.
    this.pinned = null;
    giveBack(this.ready);
    this.ready = [];
    if (!this.readInFlight) this.closeFd();
  }

  private closeFd(): void {
    if (this.fdClosed || this.fd === undefined) return;
    this.fdClosed = true;
    close(this.fd, () => undefined);
  }
}

/** Slices never written go back to the pool. */
function giveBack(slices: readonly Buffer[]): void {
  for (const slice of slices) {
    endLoan(slice);
    recycleSlice(slice);
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
