import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseAdminAddress,
  parseListenAddress,
  type AdminAddress,
  type ListenAddress,
} from '../../../src/config/address.js';

const LISTEN: ReadonlyArray<readonly [string, ListenAddress | undefined]> = [
  ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
  ['[::1]:8080', { host: '::1', port: 8080 }],
  ['[::]:80', { host: '::', port: 80 }],
  ['8080', { host: '0.0.0.0', port: 8080 }],
  ['0', { host: '0.0.0.0', port: 0 }],
  ['localhost:0', { host: 'localhost', port: 0 }],
  ['mirror.example.org:65535', { host: 'mirror.example.org', port: 65535 }],
  ['nope:99999', undefined],
  ['65536', undefined],
  ['127.0.0.1:', undefined],
  [':8080', undefined],
  ['127.0.0.1', undefined],
  ['::1:8080', undefined],
  ['[::1:8080', undefined],
  ['::1]:8080', undefined],
  ['[::1]', undefined],
  ['[127.0.0.1]:80', undefined],
  ['999.1.1.1:80', undefined],
  ['host name:80', undefined],
  ['-x:80', undefined],
  ['127.0.0.1:8o', undefined],
  ['', undefined],
];

for (const [text, expected] of LISTEN) {
  void test(`parseListenAddress(${JSON.stringify(text)})`, () => {
    assert.deepEqual(parseListenAddress(text), expected);
  });
}

const ADMIN: ReadonlyArray<readonly [string, AdminAddress | 'off' | undefined]> = [
  ['unix:/run/ebb.sock', { kind: 'unix', path: '/run/ebb.sock' }],
  ['unix:ebb.sock', { kind: 'unix', path: 'ebb.sock' }],
  ['127.0.0.1:9090', { kind: 'tcp', host: '127.0.0.1', port: 9090 }],
  ['[::1]:9090', { kind: 'tcp', host: '::1', port: 9090 }],
  ['off', 'off'],
  ['unix:', undefined],
  ['9090', undefined],
  ['nope', undefined],
];

for (const [text, expected] of ADMIN) {
  void test(`parseAdminAddress(${JSON.stringify(text)})`, () => {
    assert.deepEqual(parseAdminAddress(text), expected);
  });
}
