/**
 * The body of a multipart/byteranges response (RFC 9110 §14.6): literal part headers
 * interleaved with file segments, and its exact length.
 */
import { randomBytes } from 'node:crypto';
import type { BodySegment } from '../http/types.js';
import type { ByteRange } from './select-ranges.js';

export interface MultipartBody {
  readonly contentType: string;
  readonly body: readonly BodySegment[];
  readonly lengthBytes: number;
}

export function newBoundary(): string {
  return `ebb-${randomBytes(12).toString('hex')}`;
}

export function buildMultipart(
  ranges: readonly ByteRange[],
  sizeBytes: number,
  partContentType: string,
  boundary: string,
): MultipartBody {
  const body: BodySegment[] = [];
  ranges.forEach((range, index) => {
    const head =
      `${index === 0 ? '' : '\r\n'}--${boundary}\r\n` +
      `Content-Type: ${partContentType}\r\n` +
      `Content-Range: ${contentRange(range, sizeBytes)}\r\n\r\n`;
    body.push({ kind: 'bytes', data: Buffer.from(head, 'latin1') });
    body.push({ kind: 'file', start: range.start, end: range.end });
  });
  body.push({ kind: 'bytes', data: Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1') });
  return {
    contentType: `multipart/byteranges; boundary=${boundary}`,
    body,
    lengthBytes: body.reduce((total, segment) => total + segmentLength(segment), 0),
  };
}

export function contentRange(range: ByteRange, sizeBytes: number): string {
  return `bytes ${range.start}-${range.end}/${sizeBytes}`;
}

export function segmentLength(segment: BodySegment): number {
  return segment.kind === 'bytes' ? segment.data.length : segment.end - segment.start + 1;
}
