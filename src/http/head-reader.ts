/**
 * Collects the bytes of request heads as they arrive on one connection and says, after each
 * chunk, whether a complete head is there, more is needed, or the head is refused.
 *
 * Linear in the bytes received: every byte is examined once, where the last scan stopped, and
 * the buffer grows by doubling instead of being concatenated per chunk. The limits are enforced
 * as bytes arrive, not when the empty line finally comes: a bare CR or LF, too many empty lines
 * before the request line, a request line or head over its limit is refused at the byte that
 * breaks the rule. The complete head is then parsed once (parse-request.ts).
 */
import {
  parseFramedHead,
  type HeadLimits,
  type InvalidHead,
  type ParsedHead,
} from './parse-request.js';

export type HeadParse =
  | { readonly kind: 'incomplete' }
  | (ParsedHead & {
      /** Bytes the head used, empty lines before it and its own empty line included. */
      readonly headBytes: number;
    })
  | InvalidHead;

/**
 * RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a request-line (some
 * clients send a CRLF after a body). nginx and Node accept a few; a stream of them is refused.
 */
export const MAX_LEADING_EMPTY_LINES = 4;

const CR = 0x0d;
const LF = 0x0a;
const MIN_CAPACITY_BYTES = 4096;
const INCOMPLETE: HeadParse = { kind: 'incomplete' };

function invalid(status: InvalidHead['status'], reason: string): InvalidHead {
  return { kind: 'invalid', status, reason };
}

/** Where the scan of the current head stands; offsets are from the head's first byte. */
interface ScanState {
  scannedBytes: number;
  lineStart: number;
  /** Offset of the request line, once a non-empty line has begun; null before. */
  requestLineStart: number | null;
  leadingEmptyLines: number;
  fieldLines: number;
  verdict: HeadParse;
}

function freshScan(): ScanState {
  return {
    scannedBytes: 0,
    lineStart: 0,
    requestLineStart: null,
    leadingEmptyLines: 0,
    fieldLines: 0,
    verdict: INCOMPLETE,
  };
}

export class HeadReader {
  /** Bytes [start, end) of `buffer` are received and not yet consumed by a head. */
  private buffer: Buffer | null = null;
  /** Whether `buffer` is ours to write into (otherwise it is a chunk the socket handed us). */
  private owned = false;
  private start = 0;
  private end = 0;
  private scan = freshScan();

  /** Bytes received and not yet taken by a head (pipelined requests wait here). */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  append(chunk: Buffer, limits: HeadLimits): void {
    if (chunk.length === 0) return;
    if (this.buffer === null) {
      // The common case, one head per chunk: no copy at all.
      this.buffer = chunk;
      this.owned = false;
      this.start = 0;
      this.end = chunk.length;
    } else {
      this.makeRoom(chunk.length);
      chunk.copy(this.bufferOrThrow(), this.end);
      this.end += chunk.length;
    }
    this.advance(limits);
  }

  /**
   * The verdict on the bytes so far. A complete head is consumed (what follows stays for the
   * next call); an invalid one leaves the reader to be cleared, as its connection closes.
   */
  next(limits: HeadLimits): HeadParse {
    this.advance(limits);
    const verdict = this.scan.verdict;
    if (verdict.kind !== 'request') return verdict;
    this.start += verdict.headBytes;
    this.scan = freshScan();
    if (this.start === this.end) this.clear();
    return verdict;
  }

  /** Forgets every buffered byte (the connection will read no further request). */
  clear(): void {
    this.buffer = null;
    this.owned = false;
    this.start = 0;
    this.end = 0;
    this.scan = freshScan();
  }

  private bufferOrThrow(): Buffer {
    if (this.buffer === null) throw new Error('HeadReader: no buffer');
    return this.buffer;
  }

  /** Room for `extraBytes` more at `end`, moving or growing so each byte is copied O(1) times. */
  private makeRoom(extraBytes: number): void {
    const buffer = this.bufferOrThrow();
    const live = this.end - this.start;
    if (this.owned && this.end + extraBytes <= buffer.length) return;
    const needed = live + extraBytes;
    const capacity =
      this.owned && needed <= buffer.length / 2
        ? buffer.length
        : Math.max(MIN_CAPACITY_BYTES, 2 * needed);
    const target = capacity === buffer.length && this.owned ? buffer : Buffer.allocUnsafe(capacity);
    buffer.copy(target, 0, this.start, this.end);
    this.buffer = target;
    this.owned = true;
    this.start = 0;
    this.end = live;
  }

  /** Scans the bytes not yet scanned, stopping at the first verdict. */
  private advance(limits: HeadLimits): void {
    const scan = this.scan;
    if (scan.verdict.kind !== 'incomplete' || this.buffer === null) return;
    const buffer = this.buffer;
    const base = this.start;
    const length = this.end - base;
    let i = scan.scannedBytes;
    for (; i < length; i++) {
      const byte = buffer[base + i];
      if (byte === CR) {
        if (i + 1 === length) break; // whether a LF follows is not known yet
        if (buffer[base + i + 1] !== LF) {
          scan.verdict = invalid(400, 'bare CR in head');
          return;
        }
      } else if (byte === LF) {
        if (i === 0 || buffer[base + i - 1] !== CR) {
          scan.verdict = invalid(400, 'bare LF in head');
          return;
        }
        const verdict = this.endLine(scan, i, limits);
        if (verdict !== null) {
          scan.verdict = verdict;
          return;
        }
      }
    }
    scan.scannedBytes = i;
    scan.verdict = checkUnfinished(scan, length, limits);
  }

  /** A line ends with the LF at offset `lf`; returns a verdict, or null to read on. */
  private endLine(scan: ScanState, lf: number, limits: HeadLimits): HeadParse | null {
    const lineBytes = lf - 1 - scan.lineStart;
    const lineStart = scan.lineStart;
    scan.lineStart = lf + 1;
    if (scan.requestLineStart === null) {
      if (lineBytes > 0) {
        scan.requestLineStart = lineStart;
        return lineBytes > limits.maxRequestLineBytes
          ? invalid(414, 'request line too long')
          : null;
      }
      scan.leadingEmptyLines += 1;
      return scan.leadingEmptyLines > MAX_LEADING_EMPTY_LINES
        ? invalid(400, 'too many empty lines before the request line')
        : null;
    }
    if (lf + 1 - scan.requestLineStart > limits.maxHeadBytes) {
      return invalid(431, 'request head too large');
    }
    if (lineBytes > 0) {
      scan.fieldLines += 1;
      return scan.fieldLines > limits.maxHeaderCount
        ? invalid(431, 'too many header fields')
        : null;
    }
    const buffer = this.bufferOrThrow();
    const head = buffer.subarray(this.start + scan.requestLineStart, this.start + lf + 1);
    const parsed = parseFramedHead(head);
    if (parsed.kind === 'invalid') return parsed;
    const { kind, request, hasContent, wantsClose } = parsed;
    return { kind, request, hasContent, wantsClose, headBytes: lf + 1 };
  }
}

/** Limits that an unfinished line already breaks. */
function checkUnfinished(scan: ScanState, length: number, limits: HeadLimits): HeadParse {
  if (scan.requestLineStart === null) {
    return length - scan.lineStart > limits.maxRequestLineBytes
      ? invalid(414, 'request line too long')
      : INCOMPLETE;
  }
  return length - scan.requestLineStart > limits.maxHeadBytes
    ? invalid(431, 'request head too large')
    : INCOMPLETE;
}

/** Reads one head from the start of `buffer`, as a connection would if it arrived at once. */
export function readRequestHead(buffer: Buffer, limits: HeadLimits): HeadParse {
  const reader = new HeadReader();
  reader.append(buffer, limits);
  return reader.next(limits);
}
