import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEbbError } from '../../../src/errors.js';
import { asksForHelp, parseCommandLine } from '../../../src/config/command-line.js';

const HELP: ReadonlyArray<readonly [readonly string[], boolean]> = [
  [['-h'], true],
  [['--help'], true],
  [['--pid-file', 'x', '-h'], true],
  [['--no-such-flag', '--help'], true],
  [['-xh'], true],
  [[], false],
  [['--pid-file', 'x'], false],
  [['--', '-h'], false],
  [['--pid-file=-h'], false],
];

for (const [argv, expected] of HELP) {
  void test(`asksForHelp(${JSON.stringify(argv)}) is ${expected}`, () => {
    assert.equal(asksForHelp(argv), expected);
  });
}

const SPEC = {
  command: 'stop',
  options: { 'pid-file': { type: 'string' }, now: { type: 'boolean' } },
} as const;

const USAGE: ReadonlyArray<readonly [string, readonly string[], RegExp]> = [
  ['an unknown flag', ['--nope'], /^stop: Unknown option '--nope' \(ebb stop --help\)$/],
  ['a missing value', ['--pid-file'], /^stop: .*--pid-file/],
  ['a value for a boolean', ['--now=yes'], /^stop: .*--now/],
  ['a positional where none is taken', ['extra'], /^stop: .*extra/],
];

for (const [what, argv, pattern] of USAGE) {
  void test(`${what} is a USAGE error naming the command, on one line`, () => {
    assert.throws(
      () => parseCommandLine(SPEC, argv),
      (error) => isEbbError(error) && error.code === 'USAGE' && pattern.test(error.message),
    );
  });
}

void test('one positional is taken when named; a second is refused with its name', () => {
  const spec = { command: 'serve', options: {}, positional: 'ROOT' } as const;
  assert.deepEqual(parseCommandLine(spec, ['/srv']).positionals, ['/srv']);
  assert.throws(
    () => parseCommandLine(spec, ['/a', '/b']),
    (error) => isEbbError(error) && /takes one ROOT, got 2: \/a \/b/.test(error.message),
  );
});

void test('values come back typed', () => {
  const { values } = parseCommandLine(SPEC, ['--pid-file', '/run/ebb.pid', '--now']);
  assert.deepEqual({ ...values }, { 'pid-file': '/run/ebb.pid', now: true });
});
