import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { parseProcNetTcp, tcpKey } from '../../../src/progress/tcp-queue.js';

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
});

test('reads tx_queue per socket from a /proc/net/tcp text', () => {
  const text =
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n' +
    '   1: 0100007F:1F90 0100007F:D3C2 01 0003F000:00000000 01:00000014 00000000     0        0 2 1 0 20 4 30 10 -1\n';
  const queues = new Map<string, number>();
  parseProcNetTcp(text, queues);
  assert.equal(queues.get('0100007F:1F90 0100007F:D3C2'), 0x3f000);
  assert.equal(queues.get('0100007F:1F90 00000000:0000'), 0);
});
