import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import {
  localPortOfKey,
  peerPortOfKey,
  procEndpoint,
  tcpKey,
} from '../../../src/progress/tcp-key.js';

const fakeSocket = (local: string, localPort: number, remote: string, remotePort: number) =>
  ({ localAddress: local, localPort, remoteAddress: remote, remotePort }) as unknown as Socket;

test('keys IPv4, IPv6 and IPv4-mapped sockets the way /proc/net/tcp{,6} spells them', () => {
  assert.equal(
    tcpKey(fakeSocket('127.0.0.1', 8080, '127.0.0.1', 54210)),
    '0100007F:1F90 0100007F:D3C2',
  );
  assert.equal(
    tcpKey(fakeSocket('::1', 8080, '::1', 443)),
    '00000000000000000000000001000000:1F90 00000000000000000000000001000000:01BB',
  );
  assert.equal(
    tcpKey(fakeSocket('::ffff:127.0.0.1', 80, '::ffff:10.1.2.3', 1)),
    '0000000000000000FFFF00000100007F:0050 0000000000000000FFFF00000302010A:0001',
  );
  assert.equal(tcpKey({} as Socket), '');
});

const ENDPOINTS: ReadonlyArray<readonly [string, number, string]> = [
  ['10.1.2.3', 443, '0302010A:01BB'],
  ['2001:db8::1', 80, 'B80D0120000000000000000001000000:0050'],
  ['fe80::1%eth0', 80, '000080FE000000000000000001000000:0050'],
  ['1:2:3', 80, ''],
];

for (const [address, port, key] of ENDPOINTS) {
  test(`procEndpoint(${address}, ${port}) is '${key}'`, () => {
    assert.equal(procEndpoint(address, port), key);
  });
}

const PORTS: ReadonlyArray<readonly [string, number | null, number | null]> = [
  ['0100007F:1F90 0100007F:D3C2', 8080, 54210],
  ['00000000000000000000000001000000:01BB 00000000000000000000000001000000:1F90', 443, 8080],
  ['', null, null],
  ['nonsense', null, null],
];

for (const [key, local, peer] of PORTS) {
  test(`ports of '${key}': local ${local}, peer ${peer}`, () => {
    assert.equal(localPortOfKey(key), local);
    assert.equal(peerPortOfKey(key), peer);
  });
}
