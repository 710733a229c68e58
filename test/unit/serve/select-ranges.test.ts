import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RANGES, selectRanges, type RangeSelection } from '../../../src/serve/select-ranges.js';

const FULL: RangeSelection = { kind: 'full' };
const NONE: RangeSelection = { kind: 'unsatisfiable' };
const ranges = (...pairs: Array<[number, number]>): RangeSelection => {
  const [first, ...rest] = pairs.map(([start, end]) => ({ start, end }));
  assert.ok(first);
  return { kind: 'ranges', ranges: [first, ...rest] };
};
const many = (count: number, stride: number): string =>
  'bytes=' + Array.from({ length: count }, (_, i) => `${i * stride}-${i * stride}`).join(',');

void describe('selectRanges (file of 1000 bytes)', () => {
  const cases: Array<[string, string | undefined, RangeSelection]> = [
    ['no header', undefined, FULL],
    ['first byte', 'bytes=0-0', ranges([0, 0])],
    ['prefix', 'bytes=0-499', ranges([0, 499])],
    ['open-ended', 'bytes=500-', ranges([500, 999])],
    ['end clamped', 'bytes=900-5000', ranges([900, 999])],
    ['suffix', 'bytes=-100', ranges([900, 999])],
    ['suffix longer than file', 'bytes=-5000', ranges([0, 999])],
    ['suffix of exact size', 'bytes=-1000', ranges([0, 999])],
    ['unit is case-insensitive', 'Bytes=0-1', ranges([0, 1])],
    ['whitespace around commas', 'bytes=0-1 , 5-6', ranges([0, 1], [5, 6])],
    ['empty list elements', 'bytes=0-1,,5-6,', ranges([0, 1], [5, 6])],
    ['multiple, in request order', 'bytes=500-599,0-99', ranges([500, 599], [0, 99])],
    ['overlapping coalesce', 'bytes=0-100,50-150', ranges([0, 150])],
    ['adjacent coalesce', 'bytes=0-99,100-199', ranges([0, 199])],
    ['contained coalesce', 'bytes=0-500,10-20,-1', ranges([0, 500], [999, 999])],
    ['satisfiable one among unsatisfiable', 'bytes=2000-3000,0-0', ranges([0, 0])],
    // unsatisfiable → 416
    ['start at size', 'bytes=1000-', NONE],
    ['start past size', 'bytes=5000-6000', NONE],
    ['zero suffix', 'bytes=-0', NONE],
    // malformed or foreign → ignore, full 200
    ['other unit', 'items=0-1', FULL],
    ['no equals', 'bytes 0-1', FULL],
    ['space before equals', 'bytes =0-1', FULL],
    ['no dash', 'bytes=5', FULL],
    ['empty set', 'bytes=', FULL],
    ['lone dash', 'bytes=-', FULL],
    ['last before first', 'bytes=5-2', FULL],
    ['negative', 'bytes=-5-10', FULL],
    ['letters', 'bytes=a-b', FULL],
    ['fractions', 'bytes=0.5-1', FULL],
    ['one malformed spoils all', 'bytes=0-1,x', FULL],
    ['repeated header joined', 'bytes=0-1, bytes=2-3', FULL],
    // abuse bound
    [
      `${MAX_RANGES} disjoint ranges`,
      many(MAX_RANGES, 10),
      ranges(...Array.from({ length: MAX_RANGES }, (_, i): [number, number] => [i * 10, i * 10])),
    ],
    [`${MAX_RANGES + 1} disjoint ranges`, many(MAX_RANGES + 1, 10), { kind: 'excessive' }],
    ['100 disjoint one-byte ranges', many(100, 2), { kind: 'excessive' }],
    [
      '1000 overlapping ranges coalesce',
      'bytes=' + Array(1000).fill('0-999').join(','),
      ranges([0, 999]),
    ],
    ['100 adjacent ranges coalesce', many(100, 1), ranges([0, 99])],
  ];
  for (const [name, header, expected] of cases) {
    void it(name, () => assert.deepEqual(selectRanges(1000, header), expected));
  }

  void it('ignores Range on an empty file', () => {
    assert.deepEqual(selectRanges(0, 'bytes=0-'), FULL);
    assert.deepEqual(selectRanges(0, 'bytes=-5'), FULL);
  });
});
