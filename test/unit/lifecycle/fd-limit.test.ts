import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connectionCapacity,
  FD_RESERVE,
  readOpenFileLimit,
} from '../../../src/lifecycle/fd-limit.js';
import { needsIpv6Only } from '../../../src/lifecycle/listeners.js';

test('the soft open-file limit is read from /proc/self/limits', () => {
  const limits = (soft: string) =>
    'Limit                     Soft Limit           Hard Limit           Units     \n' +
    'Max processes             127361               127361               processes \n' +
    `Max open files            ${soft.padEnd(20)} 1048576              files     \n`;
  const cases: ReadonlyArray<readonly [string, number | null]> = [
    [limits('1024'), 1024],
    [limits('64'), 64],
    [limits('unlimited'), null],
    ['garbage', null],
  ];
  for (const [text, expected] of cases) assert.equal(readOpenFileLimit(text), expected);
});

test('room for connections: two descriptors each, after those in use and the reserve', () => {
  const cases: ReadonlyArray<readonly [number, number, number]> = [
    [1024, 24, (1024 - 24 - FD_RESERVE) / 2],
    [128, 22, Math.floor((128 - 22 - FD_RESERVE) / 2)],
    [40, 30, 1], // never zero: one connection can always be tried
    [1_048_576, 30, Math.floor((1_048_576 - 30 - FD_RESERVE) / 2)],
  ];
  for (const [maxFds, inUse, expected] of cases) {
    assert.equal(connectionCapacity(maxFds, inUse), expected, `${maxFds} ${inUse}`);
  }
});

test('an IPv6 wildcard is v6-only exactly when an IPv4 wildcard shares its port', () => {
  const at = (host: string, port = 80) => ({ host, port });
  const cases: ReadonlyArray<readonly [{ host: string; port: number }, string[], boolean]> = [
    [at('::'), ['0.0.0.0:80', '[::]:80'], true],
    [at('0:0:0:0:0:0:0:0'), ['0.0.0.0:80'], true],
    [at('::'), ['[::]:80'], false],
    [at('::'), ['0.0.0.0:8080', '[::]:80'], false],
    [at('::'), ['127.0.0.1:80', '[::]:80'], false],
    [at('::1'), ['0.0.0.0:80', '[::1]:80'], false],
    [at('0.0.0.0'), ['0.0.0.0:80', '[::]:80'], false],
    [at('::', 0), ['0.0.0.0:0', '[::]:0'], false], // two free ports, not one
  ];
  for (const [address, listed, expected] of cases) {
    const all = listed.map((text) => {
      const colon = text.lastIndexOf(':');
      return {
        host: text.slice(0, colon).replace(/^\[|\]$/g, ''),
        port: Number(text.slice(colon + 1)),
      };
    });
    assert.equal(needsIpv6Only(address, all), expected, `${address.host} in ${listed.join(' ')}`);
  }
});
