/**
 * Where access log text goes, written so that no failure can stop the server: lines wait in a
 * bounded queue (past the bound they are dropped and counted), a failed write is reported and
 * retried, and writing resumes by itself once the disk has room or the reader reads again.
 *
 * - a descriptor sink: a log file (or stdout redirected to a file), one `write(2)` in flight,
 *   short writes continued, a failed write retried after `RETRY_AFTER_MS` with the same bytes, so
 *   a line cut by ENOSPC is completed, not spliced;
 * - a stream sink: stdout as a pipe, socket or terminal. A stream that failed (EPIPE) is over:
 *   its lines are dropped from then on; one whose reader stalls drops lines until it drains.
 */
import { write as writeFd } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** What a sink tells its owner; the owner decides what the operator sees. */
export interface SinkEvents {
  /** A write failed: `why` is the errno code or a short reason. */
  failed(why: string): void;
  /** A write succeeded. */
  wrote(): void;
  /** Lines were dropped (the queue was full, or the stream is gone). */
  dropped(lines: number, why: string): void;
}

/** Writes one line of `value` into `out` at `at` (with `maxBytes` of room); returns its end. */
export type LineEncoder<T> = (value: T, out: Buffer, at: number) => number;

export interface LogSink {
  /** Queues text (whole lines); drops it, counted, when the queue is full. Never throws. */
  append(text: string): void;
  /** Queues the line `encode` writes of `value` (at most `maxBytes`), as `append` would. */
  appendEncoded<T>(maxBytes: number, encode: LineEncoder<T>, value: T): void;
  /** One last attempt at what is queued (bounded in time), then the descriptor is closed. */
  close(): Promise<void>;
}

export const MAX_QUEUED_BYTES = 1024 * 1024;
/**
 * Lines are gathered for up to FLUSH_AFTER_MS, or until this much is waiting: a write is a
 * thread-pool hand-off, and one per event-loop turn cost a busy server a tenth of its CPU.
 */
export const FLUSH_BYTES = 64 * 1024;
/** Well within the second a line may wait; every close writes what is queued at once. */
export const FLUSH_AFTER_MS = 100;
export const RETRY_AFTER_MS = 1000;
/** How long closing waits for a stream's reader before giving up on what is queued. */
export const CLOSE_WAIT_MS = 2000;

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

function lineCount(text: string | Buffer): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** One write(2): resolves with the bytes written (maybe fewer than asked), rejects with its errno. */
export type WriteOnce = (data: Buffer) => Promise<number>;

/**
 * Lines are encoded as they come into a buffer of FLUSH_BYTES (one copy, and the line's string
 * dies young rather than waiting, promoted, for the flush); a buffer a line does not fit in is
 * sealed and a new one begun.
 */
class DescriptorSink implements LogSink {
  private filling: Buffer | null = null;
  private filledBytes = 0;
  /** Where a line is encoded when `filling` may lack the room. */
  private scratch: Buffer | null = null;
  /** Full buffers (or a line too long for one) waiting, in order, before `filling`. */
  private sealed: Buffer[] = [];
  /** Bytes in `filling`, `sealed` and `unwritten`. */
  private queuedBytes = 0;
  /** Bytes taken from the buffers and not yet written (kept across failures). */
  private unwritten: Buffer | null = null;
  private writing: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  /** The flush timer fired while a write was in flight: what waits goes as soon as it ends. */
  private flushDue = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(
    private readonly writeOnce: WriteOnce,
    private readonly closeFd: () => Promise<void>,
    private readonly events: SinkEvents,
  ) {}

  append(text: string): void {
    // UTF-8 takes at most 3 bytes a UTF-16 unit: the exact length only when that bound is tight.
    const roomBytes = FLUSH_BYTES - this.filledBytes;
    const mayNotFit = text.length * 3 > Math.min(roomBytes, MAX_QUEUED_BYTES - this.queuedBytes);
    const exactBytes = mayNotFit ? Buffer.byteLength(text) : 0;
    if (mayNotFit && this.queuedBytes + exactBytes > MAX_QUEUED_BYTES) {
      this.events.dropped(lineCount(text), `${MAX_QUEUED_BYTES} bytes already waiting`);
      return;
    }
    if (mayNotFit && exactBytes > roomBytes) {
      this.seal();
      if (exactBytes > FLUSH_BYTES) {
        this.sealed.push(Buffer.from(text));
        this.queuedBytes += exactBytes;
        this.kick();
        return;
      }
    }
    this.filling ??= Buffer.allocUnsafeSlow(FLUSH_BYTES);
    const bytes = this.filling.write(text, this.filledBytes);
    this.filledBytes += bytes;
    this.queuedBytes += bytes;
    this.afterAppend();
  }

  appendEncoded<T>(maxBytes: number, encode: LineEncoder<T>, value: T): void {
    if (FLUSH_BYTES - this.filledBytes < maxBytes) {
      // Near a buffer's end: encoded aside, then placed as text would be.
      this.scratch ??= Buffer.allocUnsafeSlow(maxBytes);
      if (this.scratch.length < maxBytes) this.scratch = Buffer.allocUnsafeSlow(maxBytes);
      this.append(this.scratch.toString('utf8', 0, encode(value, this.scratch, 0)));
      return;
    }
    this.filling ??= Buffer.allocUnsafeSlow(FLUSH_BYTES);
    const end = encode(value, this.filling, this.filledBytes);
    const bytes = end - this.filledBytes;
    if (this.queuedBytes + bytes > MAX_QUEUED_BYTES) {
      const line = this.filling.subarray(this.filledBytes, end);
      this.events.dropped(lineCount(line), `${MAX_QUEUED_BYTES} bytes already waiting`);
      return;
    }
    this.filledBytes = end;
    this.queuedBytes += bytes;
    this.afterAppend();
  }

  private afterAppend(): void {
    if (this.sealed.length > 0 || this.filledBytes === FLUSH_BYTES) this.kick();
    else this.flushTimer ??= setTimeout(this.onFlushTimer, FLUSH_AFTER_MS).unref();
  }

  /** The bytes in `filling` join the sealed ones; the next line begins a new buffer. */
  private seal(): void {
    if (this.filling === null || this.filledBytes === 0) return;
    this.sealed.push(this.filling.subarray(0, this.filledBytes));
    this.filling = null;
    this.filledBytes = 0;
  }

  private get hasQueued(): boolean {
    return this.unwritten !== null || this.sealed.length > 0 || this.filledBytes > 0;
  }

  private readonly onFlushTimer = (): void => {
    this.flushTimer = null;
    this.flushDue = true;
    this.kick();
  };

  async close(): Promise<void> {
    this.closing = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.writing;
    if (this.hasQueued) await this.writeQueued();
    this.seal();
    let left = this.unwritten === null ? 0 : lineCount(this.unwritten);
    for (const buffer of this.sealed) left += lineCount(buffer);
    if (left > 0) this.events.dropped(left, 'not written at exit');
    await this.closeFd().catch(() => undefined);
  }

  /** Starts a write unless one is in flight or a retry is waiting. */
  private kick(): void {
    if (this.writing !== null || this.retryTimer !== null || this.closing) return;
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.flushDue = false;
    if (!this.hasQueued) return;
    this.writing = this.writeQueued().finally(this.afterWriting);
  }

  /**
   * Lines that came while the write was in flight wait for their own flush (the timer their
   * first one armed, or FLUSH_BYTES), as lines do between writes: writing them at once would
   * make a write of the few lines each write's time lets in, back to back, for ever.
   */
  private readonly afterWriting = (): void => {
    this.writing = null;
    if (this.flushDue || this.queuedBytes >= FLUSH_BYTES) this.kick();
    else if (this.hasQueued && this.retryTimer === null && !this.closing) {
      this.flushTimer ??= setTimeout(this.onFlushTimer, FLUSH_AFTER_MS).unref();
    }
  };

  /**
   * Writes what is queued until it is written or a write fails; never rejects. Lines queued
   * meanwhile are left for the next flush, except when closing, which writes everything.
   */
  private async writeQueued(): Promise<void> {
    this.takePending();
    while (this.unwritten !== null) {
      const data = this.unwritten;
      let written: number;
      try {
        written = await this.writeOnce(data);
      } catch (error) {
        this.events.failed(errorCode(error));
        if (!this.closing) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            this.kick();
          }, RETRY_AFTER_MS);
          this.retryTimer.unref();
        }
        return;
      }
      this.queuedBytes -= written;
      this.unwritten = written >= data.length ? null : data.subarray(written);
      this.events.wrote();
      if (this.closing) this.takePending();
    }
  }

  /** The queued lines become the bytes to write, unless bytes of an earlier write are left. */
  private takePending(): void {
    if (this.unwritten !== null) return;
    this.seal();
    const sealed = this.sealed;
    if (sealed.length === 0) return;
    this.unwritten = sealed.length === 1 ? sealed[0]! : Buffer.concat(sealed);
    this.sealed = [];
  }
}

/** The queue and retries over any single-write function (the two below; tests). */
export function writerSink(
  writeOnce: WriteOnce,
  closeFd: () => Promise<void>,
  events: SinkEvents,
): LogSink {
  return new DescriptorSink(writeOnce, closeFd, events);
}

/** A log file opened by ebb (closed by the sink). */
export function fileHandleSink(handle: FileHandle, events: SinkEvents): LogSink {
  return new DescriptorSink(
    async (data) => (await handle.write(data)).bytesWritten,
    () => handle.close(),
    events,
  );
}

/** A descriptor ebb did not open, such as stdout redirected to a file (left open). */
export function descriptorSink(fd: number, events: SinkEvents): LogSink {
  const writeOnce: WriteOnce = (data) =>
    new Promise((resolve, reject) => {
      writeFd(fd, data, (error, written) => (error ? reject(error) : resolve(written)));
    });
  return new DescriptorSink(writeOnce, () => Promise.resolve(), events);
}

interface OutputStream extends NodeJS.WritableStream {
  readonly destroyed: boolean;
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
}

/** stdout as a pipe, socket or terminal (already guarded against 'error' by the CLI). */
export function streamSink(stream: OutputStream, events: SinkEvents): LogSink {
  let timer: NodeJS.Timeout | null = null;
  let pending = '';
  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (pending === '') return;
    const text = pending;
    pending = '';
    if (stream.destroyed || stream.writableLength > MAX_QUEUED_BYTES) {
      const why = stream.destroyed ? 'closed' : `not read (${stream.writableLength} bytes waiting)`;
      events.dropped(lineCount(text), why);
      return;
    }
    const failed = (error: unknown): void => {
      events.failed(errorCode(error));
      events.dropped(lineCount(text), errorCode(error));
    };
    try {
      stream.write(text, (error) => (error ? failed(error) : events.wrote()));
    } catch (error) {
      failed(error);
    }
  };
  let scratch: Buffer | null = null;
  const append = (text: string): void => {
    pending += text;
    if (pending.length >= FLUSH_BYTES) flush();
    else timer ??= setTimeout(flush, FLUSH_AFTER_MS).unref();
  };
  return {
    append,
    appendEncoded(maxBytes, encode, value) {
      if (scratch === null || scratch.length < maxBytes) scratch = Buffer.allocUnsafeSlow(maxBytes);
      append(scratch.toString('utf8', 0, encode(value, scratch, 0)));
    },
    async close() {
      flush();
      if (stream.destroyed || !stream.writableNeedDrain) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          stream.once('drain', resolve);
          stream.once('close', resolve);
        }),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
      ]);
      clearTimeout(timer);
    },
  };
}
