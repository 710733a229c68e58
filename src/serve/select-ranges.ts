/**
 * Which byte ranges of a file a Range header asks for. This file wraps `range-parser` and
 * keeps its quirks here:
 * - only the `bytes` unit (case-insensitive) is honoured; any other unit, or a header that
 *   does not follow the RFC 9110 §14.1.1 grammar (including `last < first`, which
 *   range-parser would count as unsatisfiable), is ignored and the full 200 is sent;
 * - a suffix range longer than the file means the whole file (range-parser drops it);
 * - an empty file ignores Range (there is no byte to select).
 *
 * Abuse bound: overlapping and adjacent ranges are coalesced (`combine: true`), and if more
 * than MAX_RANGES remain the selection is `excessive`: RFC 9110 §15.5.17 lets a server refuse
 * "an excessive number of small or overlapping ranges" with 416 (serve-file.ts decides). A
 * client can therefore never make one response larger than file size + MAX_RANGES part
 * headers, nor send the same byte twice, nor get a whole large file for a few tiny ranges.
 */
import parseRange from 'range-parser';

/** An inclusive byte range, as in Content-Range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export type RangeSelection =
  | { readonly kind: 'full' }
  | { readonly kind: 'unsatisfiable' }
  | { readonly kind: 'excessive' }
  | { readonly kind: 'ranges'; readonly ranges: readonly [ByteRange, ...ByteRange[]] };

export const MAX_RANGES = 32;

const FULL: RangeSelection = { kind: 'full' };
const UNSATISFIABLE: RangeSelection = { kind: 'unsatisfiable' };
const EXCESSIVE: RangeSelection = { kind: 'excessive' };
const BYTES_UNIT = /^bytes=/i;
const BOUNDED_SPEC = /^(\d+)-(\d*)$/;
const SUFFIX_SPEC = /^-(\d+)$/;

export function selectRanges(sizeBytes: number, header: string | undefined): RangeSelection {
  if (header === undefined || sizeBytes === 0 || !BYTES_UNIT.test(header)) return FULL;
  const specs = normalizeSpecs(sizeBytes, header.slice('bytes='.length));
  if (specs === null) return FULL;
  const parsed = parseRange(sizeBytes, `bytes=${specs.join(',')}`, { combine: true });
  if (parsed === -1) return UNSATISFIABLE;
  if (parsed === -2) return FULL;
  if (parsed.length > MAX_RANGES) return EXCESSIVE;
  const [first, ...rest] = parsed.map(({ start, end }) => ({ start, end }));
  return first === undefined ? UNSATISFIABLE : { kind: 'ranges', ranges: [first, ...rest] };
}

/** The range-set's specs, validated and with over-long suffixes clamped; null if malformed. */
function normalizeSpecs(sizeBytes: number, rangeSet: string): string[] | null {
  const specs: string[] = [];
  for (const element of rangeSet.split(',')) {
    const spec = element.trim();
    if (spec === '') continue; // RFC 9110 §5.6.1: empty list elements are allowed
    const bounded = BOUNDED_SPEC.exec(spec);
    const suffix = SUFFIX_SPEC.exec(spec);
    if (bounded !== null) {
      if (bounded[2] !== '' && Number(bounded[2]) < Number(bounded[1])) return null;
      specs.push(spec);
    } else if (suffix !== null) {
      specs.push(Number(suffix[1]) > sizeBytes ? `-${sizeBytes}` : spec);
    } else {
      return null;
    }
  }
  return specs.length === 0 ? null : specs;
}
