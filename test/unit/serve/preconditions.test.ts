import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseEntityTags } from '../../../src/serve/entity-tags.js';
import { formatHttpDate, parseHttpDate } from '../../../src/serve/http-date.js';
import {
  evaluatePreconditions,
  isRangeFresh,
  type Conditionals,
  type PreconditionResult,
} from '../../../src/serve/preconditions.js';
import { validatorsFor } from '../../../src/serve/validators.js';

// 784111777 s = Sun, 06 Nov 1994 08:49:37 GMT; mtime has sub-second digits on purpose.
const MTIME_MS = 784111777_250;
const LONG_AGO_MS = MTIME_MS + 86_400_000;
const validators = validatorsFor(4096, MTIME_MS, LONG_AGO_MS);
const ETAG = validators.etag;
const LAST_MODIFIED = 'Sun, 06 Nov 1994 08:49:37 GMT';
const EARLIER = 'Sun, 06 Nov 1994 08:49:36 GMT';
const LATER = 'Sun, 06 Nov 1994 08:49:38 GMT';

void describe('validators', () => {
  void it("derive nginx's strong ETag from whole-second mtime and size only", () => {
    assert.equal(ETAG, `"${(784111777).toString(16)}-1000"`);
    assert.equal(validators.lastModifiedSeconds, 784111777);
    const cases: Array<[string, number, number, boolean]> = [
      ['another size', 4097, MTIME_MS, false],
      [
        'the same second, another millisecond (a copy that kept whole seconds)',
        4096,
        784111777_000,
        true,
      ],
      ['the same second, its last millisecond', 4096, 784111777_999, true],
      ['the next second', 4096, 784111778_000, false],
    ];
    for (const [name, size, mtimeMs, same] of cases) {
      const etag = validatorsFor(size, mtimeMs, LONG_AGO_MS).etag;
      assert.equal(etag === ETAG, same, name);
    }
  });

  void it('are weak while the file is less than a second old, so If-Range cannot splice', () => {
    const cases: Array<[string, number, boolean]> = [
      ['just written', MTIME_MS, true],
      ['999 ms old', MTIME_MS + 999, true],
      ['a second old', MTIME_MS + 1000, false],
      ['mtime in the future', MTIME_MS - 5000, true],
    ];
    for (const [name, nowMs, weak] of cases) {
      const fresh = validatorsFor(4096, MTIME_MS, nowMs);
      assert.equal(fresh.etag, weak ? `W/${ETAG}` : ETAG, name);
      assert.equal(isRangeFresh(fresh.etag, fresh), !weak, name);
      const noneMatch = {
        ifMatch: undefined,
        ifUnmodifiedSince: undefined,
        ifModifiedSince: undefined,
      };
      const result = evaluatePreconditions({ ...noneMatch, ifNoneMatch: fresh.etag }, fresh);
      assert.equal(result, 'not-modified', `${name}: If-None-Match compares weakly`);
    }
  });
});

void describe('HTTP-date', () => {
  const cases: Array<[string, number | null]> = [
    [LAST_MODIFIED, 784111777],
    ['Sunday, 06-Nov-94 08:49:37 GMT', 784111777],
    ['Sun Nov  6 08:49:37 1994', 784111777],
    ['Thu, 01 Jan 1970 00:00:00 GMT', 0],
    ['Sun, 06 Nov 1994 08:49:37 UTC', null],
    ['Sun, 31 Feb 1994 08:49:37 GMT', null],
    ['Sun, 06 Nov 1994 24:00:00 GMT', null],
    ['yesterday', null],
    ['784111777', null],
    ['', null],
  ];
  for (const [text, expected] of cases) {
    void it(`parses ${JSON.stringify(text)}`, () => assert.equal(parseHttpDate(text), expected));
  }
  void it('formats IMF-fixdate', () => assert.equal(formatHttpDate(784111777), LAST_MODIFIED));
});

void describe('parseEntityTags', () => {
  const cases: Array<[string, ReturnType<typeof parseEntityTags>]> = [
    ['*', '*'],
    [' * ', '*'],
    ['"a"', [{ weak: false, opaque: '"a"' }]],
    [
      'W/"a", "b"',
      [
        { weak: true, opaque: '"a"' },
        { weak: false, opaque: '"b"' },
      ],
    ],
    [
      '"a",,"b"',
      [
        { weak: false, opaque: '"a"' },
        { weak: false, opaque: '"b"' },
      ],
    ],
    ['""', [{ weak: false, opaque: '""' }]],
    ['a', []],
    ['"a", b, "c"', [{ weak: false, opaque: '"a"' }]],
    ['"unterminated', []],
  ];
  for (const [text, expected] of cases) {
    void it(JSON.stringify(text), () => assert.deepEqual(parseEntityTags(text), expected));
  }
});

void describe('evaluatePreconditions (RFC 9110 §13.2.2 order)', () => {
  const none: Conditionals = {
    ifMatch: undefined,
    ifNoneMatch: undefined,
    ifModifiedSince: undefined,
    ifUnmodifiedSince: undefined,
  };
  const cases: Array<[string, Partial<Conditionals>, PreconditionResult]> = [
    ['no conditions', {}, 'proceed'],
    ['If-Match current', { ifMatch: ETAG }, 'proceed'],
    ['If-Match in a list', { ifMatch: `"x", ${ETAG}` }, 'proceed'],
    ['If-Match *', { ifMatch: '*' }, 'proceed'],
    ['If-Match other', { ifMatch: '"x"' }, 'failed'],
    ['If-Match weak is never strong', { ifMatch: `W/${ETAG}` }, 'failed'],
    ['If-Match garbage', { ifMatch: 'garbage' }, 'failed'],
    ['If-Unmodified-Since later', { ifUnmodifiedSince: LATER }, 'proceed'],
    ['If-Unmodified-Since equal', { ifUnmodifiedSince: LAST_MODIFIED }, 'proceed'],
    ['If-Unmodified-Since earlier', { ifUnmodifiedSince: EARLIER }, 'failed'],
    ['If-Unmodified-Since invalid is ignored', { ifUnmodifiedSince: 'soon' }, 'proceed'],
    [
      'If-Match passing wins over failing If-Unmodified-Since',
      { ifMatch: ETAG, ifUnmodifiedSince: EARLIER },
      'proceed',
    ],
    ['If-None-Match current', { ifNoneMatch: ETAG }, 'not-modified'],
    ['If-None-Match weak compares weakly', { ifNoneMatch: `W/${ETAG}` }, 'not-modified'],
    ['If-None-Match *', { ifNoneMatch: '*' }, 'not-modified'],
    ['If-None-Match other', { ifNoneMatch: '"x"' }, 'proceed'],
    ['If-Modified-Since equal', { ifModifiedSince: LAST_MODIFIED }, 'not-modified'],
    ['If-Modified-Since later', { ifModifiedSince: LATER }, 'not-modified'],
    ['If-Modified-Since earlier', { ifModifiedSince: EARLIER }, 'proceed'],
    ['If-Modified-Since invalid is ignored', { ifModifiedSince: 'Tue, 99 Foo' }, 'proceed'],
    [
      'If-None-Match mismatch wins over If-Modified-Since',
      { ifNoneMatch: '"x"', ifModifiedSince: LATER },
      'proceed',
    ],
    [
      'If-None-Match match wins over If-Modified-Since',
      { ifNoneMatch: ETAG, ifModifiedSince: EARLIER },
      'not-modified',
    ],
    ['412 beats 304', { ifMatch: '"x"', ifNoneMatch: ETAG }, 'failed'],
    ['412 from date beats 304', { ifUnmodifiedSince: EARLIER, ifNoneMatch: ETAG }, 'failed'],
  ];
  for (const [name, given, expected] of cases) {
    void it(name, () =>
      assert.equal(evaluatePreconditions({ ...none, ...given }, validators), expected),
    );
  }

  const withoutValidators: Array<[Partial<Conditionals>, PreconditionResult]> = [
    [{ ifMatch: '*' }, 'proceed'],
    [{ ifMatch: '"x"' }, 'failed'],
    [{ ifUnmodifiedSince: EARLIER }, 'proceed'],
    [{ ifNoneMatch: '*' }, 'not-modified'],
    [{ ifNoneMatch: '"x"' }, 'proceed'],
    [{ ifModifiedSince: LATER }, 'proceed'],
  ];
  for (const [given, expected] of withoutValidators) {
    void it(`without validators: ${JSON.stringify(given)}`, () =>
      assert.equal(evaluatePreconditions({ ...none, ...given }, null), expected));
  }
});

void describe('isRangeFresh (If-Range)', () => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, true],
    [ETAG, true],
    [`W/${ETAG}`, false],
    ['"other"', false],
    [`${ETAG}, "other"`, false],
    [LAST_MODIFIED, true],
    ['Sunday, 06-Nov-94 08:49:37 GMT', true],
    [LATER, false],
    [EARLIER, false],
    ['not a date', false],
  ];
  for (const [ifRange, expected] of cases) {
    void it(String(ifRange), () => assert.equal(isRangeFresh(ifRange, validators), expected));
  }
  void it('never fresh without validators', () => assert.equal(isRangeFresh('"x"', null), false));
});
