import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BodySegment } from '../../../src/http/types.js';
import { buildMultipart, newBoundary } from '../../../src/serve/multipart.js';

const FILE = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');

/** Materialize a body as the wire would, reading `file` segments from FILE. */
function render(body: readonly BodySegment[]): string {
  return Buffer.concat(
    body.map((s) => (s.kind === 'bytes' ? s.data : FILE.subarray(s.start, s.end + 1))),
  ).toString('latin1');
}

void describe('buildMultipart', () => {
  const cases: Array<[string, Array<{ start: number; end: number }>]> = [
    [
      'two ranges',
      [
        { start: 0, end: 1 },
        { start: 10, end: 12 },
      ],
    ],
    [
      'out of order',
      [
        { start: 30, end: 35 },
        { start: 0, end: 0 },
      ],
    ],
    [
      'three ranges incl. last byte',
      [
        { start: 1, end: 1 },
        { start: 5, end: 9 },
        { start: 35, end: 35 },
      ],
    ],
  ];
  for (const [name, ranges] of cases) {
    void it(`${name}: Content-Length equals the sum of segments`, () => {
      const multi = buildMultipart(ranges, FILE.length, 'text/plain; charset=utf-8', 'BOUND');
      assert.equal(multi.lengthBytes, Buffer.byteLength(render(multi.body), 'latin1'));
      const fileBytes = ranges.reduce((n, r) => n + r.end - r.start + 1, 0);
      const literalBytes = multi.body
        .filter((s) => s.kind === 'bytes')
        .reduce((n, s) => n + s.data.length, 0);
      assert.equal(multi.lengthBytes, fileBytes + literalBytes);
    });
  }

  void it('frames parts exactly', () => {
    const ranges = [
      { start: 0, end: 1 },
      { start: 10, end: 12 },
    ];
    const multi = buildMultipart(ranges, FILE.length, 'application/x-iso9660-image', 'BOUND');
    assert.equal(multi.contentType, 'multipart/byteranges; boundary=BOUND');
    assert.equal(
      render(multi.body),
      '--BOUND\r\n' +
        'Content-Type: application/x-iso9660-image\r\n' +
        'Content-Range: bytes 0-1/36\r\n\r\n' +
        '01' +
        '\r\n--BOUND\r\n' +
        'Content-Type: application/x-iso9660-image\r\n' +
        'Content-Range: bytes 10-12/36\r\n\r\n' +
        'abc' +
        '\r\n--BOUND--\r\n',
    );
  });

  void it('makes a fresh boundary that is a valid token', () => {
    const a = newBoundary();
    assert.match(a, /^[0-9A-Za-z-]{1,70}$/);
    assert.notEqual(a, newBoundary());
  });
});
