import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEbbError } from '../../../src/errors.js';
import { describeServeFlags, parseServeFlags } from '../../../src/config/serve-flags.js';
import { SETTING_NAMES, SETTINGS } from '../../../src/config/settings.js';

const USAGE_ERRORS: ReadonlyArray<readonly [string, readonly string[], RegExp]> = [
  ['an unknown flag', ['--nope'], /--nope/],
  ['a short flag', ['-l', '8080'], /-l/],
  ['a missing value at the end', ['--listen'], /--listen/],
  ['a flag where a value belongs', ['--index', '--listing', 'on'], /--index/],
  ['a value given to a boolean flag', ['--follow-symlinks=yes'], /--follow-symlinks/],
  ['two roots', ['/srv/a', '/srv/b'], /one ROOT/],
];

for (const [what, argv, pattern] of USAGE_ERRORS) {
  void test(`${what} is a USAGE error`, () => {
    assert.throws(
      () => parseServeFlags(argv),
      (error) => isEbbError(error) && error.code === 'USAGE' && pattern.test(error.message),
    );
  });
}

void test('flags keep their names, values as given, both --flag value and --flag=value', () => {
  const flags = parseServeFlags([
    '--config=ebb.toml',
    '--listen',
    '8080',
    '--listen=[::1]:8080',
    '--header-timeout',
    '10s',
    '--follow-symlinks',
    'srv',
  ]);
  assert.equal(flags.configFile, 'ebb.toml');
  assert.deepEqual(
    { ...flags.settings },
    {
      listen: ['8080', '[::1]:8080'],
      'header-timeout': '10s',
      'follow-symlinks': true,
      root: 'srv',
    },
  );
});

void test('no flags at all sets nothing', () => {
  const flags = parseServeFlags([]);
  assert.equal(flags.configFile, undefined);
  assert.deepEqual({ ...flags.settings }, {});
});

void test('describeServeFlags has one line per flag, with its default', () => {
  const lines = describeServeFlags().split('\n');
  assert.equal(lines.length, SETTING_NAMES.length + 1);
  assert.match(lines[0] ?? '', /--config FILE/);
  for (const name of SETTING_NAMES) {
    const line = lines.find((candidate) =>
      SETTINGS[name].flag === 'positional'
        ? candidate.includes('[ROOT]')
        : candidate.includes(`--${name} `),
    );
    assert.ok(line, `no line for ${name}`);
    assert.match(line, /default: /);
  }
  assert.match(describeServeFlags(), /--write-idle-timeout D +.*duration, default: 360s/);
});
