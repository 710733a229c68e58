import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { buildServeConfig } from '../../../src/config/build-serve-config.js';
import { formatDurationMs, formatSettings } from '../../../src/config/format-settings.js';

const DURATIONS: ReadonlyArray<readonly [number, string]> = [
  [0, '0s'],
  [500, '500ms'],
  [1500, '1500ms'],
  [30_000, '30s'],
  [360_000, '6m'],
  [7_200_000, '2h'],
  [86_400_000, '1d'],
];

for (const [ms, text] of DURATIONS) {
  void test(`formatDurationMs(${ms}) = ${text}`, () => assert.equal(formatDurationMs(ms), text));
}

const FLAG_SETS: ReadonlyArray<Record<string, unknown>> = [
  {},
  {
    root: '/srv/mirror',
    listen: ['0.0.0.0:80', '[::1]:8080'],
    'access-log': '/var/log/ebb/access.log',
    index: 'index.html',
    listing: 'off',
    'cache-control': 'public, max-age=60',
    'drain-timeout': '90m',
    'drain-new': 'redirect=https://peer.example/',
    'pid-file': '/run/ebb/ebb.pid',
    admin: '127.0.0.1:9000',
    user: 'ebb',
    group: 'adm',
    'allow-root': true,
  },
  { 'drain-new': '503', 'access-log': 'off', admin: 'off' },
];

for (const input of FLAG_SETS) {
  void test(`formatSettings reads back as the same config: ${JSON.stringify(input)}`, () => {
    const config = buildServeConfig(
      [{ source: { kind: 'flags', cwd: '/home/op' }, input }],
      '/home/op',
    );
    const text = formatSettings(config);
    const again = buildServeConfig(
      [{ source: { kind: 'file', path: '/etc/ebb/ebb.toml' }, input: parse(text) }],
      '/elsewhere',
    );
    assert.deepEqual(again, config, text);
  });
}
