import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  boundedField,
  FIELD_MAX_CHARS,
  formatClfDate,
  formatAccessLine,
  type AccessRecord,
} from '../../../src/log/format-line.js';

test('a field is escaped and bounded, never cutting an escape in two', () => {
  const cases: ReadonlyArray<readonly [string, number, string]> = [
    ['curl/8.0', 20, 'curl/8.0'],
    ['a"b', 20, 'a\\x22b'],
    ['abcdefghij', 10, 'abcdefghij'],
    ['abcdefghijk', 10, 'abcdefg...'],
    // The cut would fall inside `\x22`: it moves back to before the escape.
    ['abcde"fghij', 10, 'abcde...'],
    ['abcdef"ghij', 10, 'abcdef...'],
    ['abcd"efghij', 10, 'abcd...'],
    ['abc"defghij', 10, 'abc\\x22...'],
    ['\\\\\\\\', 10, '\\x5c...'],
    ['é'.repeat(5), 10, '\\xe9...'],
  ];
  for (const [value, max, expected] of cases) {
    const got = boundedField(value, max);
    assert.equal(got, expected, JSON.stringify([value, max]));
    assert.ok(got.length <= max, `${got} longer than ${max}`);
  }
});

const record = (fields: Partial<AccessRecord>): AccessRecord => ({
  remoteAddress: '127.0.0.1',
  startedAtMs: Date.UTC(2026, 10, 25, 22, 15, 21),
  method: 'GET',
  target: '/debian.iso',
  minorVersion: 1,
  status: 200,
  bodyBytesSent: 3992977408,
  referer: undefined,
  userAgent: 'curl/7.88.1',
  durationMs: 1843120,
  outcome: 'complete',
  ...fields,
});

test('a line reads as Combined Log Format plus duration and outcome', () => {
  assert.equal(
    formatAccessLine(record({})),
    '127.0.0.1 - - [25/Nov/2026:22:15:21 +0000] "GET /debian.iso HTTP/1.1" 200 3992977408 "-" "curl/7.88.1" 1843.120 complete\n',
  );
});

test('a hostile 16 KiB head (every byte escaped) makes a line of at most about 8 KiB', () => {
  const hostile = '"'.repeat(8 * 1024);
  const line = formatAccessLine(
    record({ target: `/${hostile}`, referer: hostile, userAgent: hostile.slice(0, 4000) }),
  );
  const bound = FIELD_MAX_CHARS.request + FIELD_MAX_CHARS.referer + FIELD_MAX_CHARS.userAgent + 200;
  assert.ok(line.length <= bound, `${line.length} > ${bound}`);
  assert.ok(line.endsWith(' complete\n'));
  assert.equal(line.split('\n').length, 2);
});

test('the CLF date is formatted once a second and right at every second, in any order', () => {
  const base = Date.UTC(2026, 10, 25, 22, 15, 21);
  const cases: Array<[number, string]> = [
    [base, '25/Nov/2026:22:15:21 +0000'],
    [base + 999, '25/Nov/2026:22:15:21 +0000'],
    [base + 1000, '25/Nov/2026:22:15:22 +0000'],
    [base - 1, '25/Nov/2026:22:15:20 +0000'],
    [Date.UTC(2026, 11, 31, 23, 59, 59, 500), '31/Dec/2026:23:59:59 +0000'],
    [Date.UTC(2027, 0, 1), '01/Jan/2027:00:00:00 +0000'],
  ];
  for (const [ms, text] of cases) assert.equal(formatClfDate(ms), text);
});

test('every field of a line, as the byte writer spells it', () => {
  const date = '25/Nov/2026:22:15:21 +0000';
  const cases: ReadonlyArray<readonly [Partial<AccessRecord>, string]> = [
    [
      { method: '', target: '', bodyBytesSent: 0, userAgent: undefined, durationMs: 0 },
      `127.0.0.1 - - [${date}] "-" 200 - "-" "-" 0.000 complete\n`,
    ],
    [
      { minorVersion: 0, status: 404, bodyBytesSent: 5, durationMs: 7, outcome: 'aborted' },
      `127.0.0.1 - - [${date}] "GET /debian.iso HTTP/1.0" 404 5 "-" "curl/7.88.1" 0.007 aborted\n`,
    ],
    [
      { target: '/a"b\\c\x01\xe9', referer: 'http://x/', userAgent: 'ua "q"', durationMs: 61042 },
      `127.0.0.1 - - [${date}] "GET /a\\x22b\\x5cc\\x01\\xe9 HTTP/1.1" 200 3992977408 "http://x/" "ua \\x22q\\x22" 61.042 complete\n`,
    ],
    [
      { remoteAddress: '::1', durationMs: 1.5, userAgent: '' },
      `::1 - - [${date}] "GET /debian.iso HTTP/1.1" 200 3992977408 "-" "-" 0.002 complete\n`,
    ],
    [
      { userAgent: 'snow ☃ 🐧' },
      `127.0.0.1 - - [${date}] "GET /debian.iso HTTP/1.1" 200 3992977408 "-" "snow ☃ 🐧" 1843.120 complete\n`,
    ],
  ];
  for (const [fields, expected] of cases) {
    assert.equal(formatAccessLine(record(fields)), expected, JSON.stringify(fields));
  }
});

test('the request field is bounded as one field: method, target and version together', () => {
  const target = `/${'a'.repeat(FIELD_MAX_CHARS.request)}`;
  const line = formatAccessLine(record({ target }));
  const request = line.split('"')[1] ?? '';
  assert.equal(request.length, FIELD_MAX_CHARS.request);
  assert.equal(request, `GET /${'a'.repeat(FIELD_MAX_CHARS.request - 8)}...`);
});
