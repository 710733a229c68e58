import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenTcpKey } from '../../../src/progress/kernel-queues-now.js';

test('keys listening sockets with an all-zero remote side, per family', () => {
  const table: Array<[string, number, string]> = [
    ['127.0.0.1', 8080, '0100007F:1F90 00000000:0000'],
    ['0.0.0.0', 80, '00000000:0050 00000000:0000'],
    ['::', 80, `${'0'.repeat(32)}:0050 ${'0'.repeat(32)}:0000`],
    ['::1', 443, `00000000000000000000000001000000:01BB ${'0'.repeat(32)}:0000`],
  ];
  for (const [address, port, key] of table) assert.equal(listenTcpKey(address, port), key);
});
