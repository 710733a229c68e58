import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcNetTcp } from '../../../src/progress/proc-net-tcp.js';
import type { SocketSelection } from '../../../src/progress/tcp-table.js';

// From a real run (Linux 6.18): the listener on 8080, a connection to it, its client end.
const TEXT =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
  '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n' +
  '   1: 0100007F:1F90 0100007F:D3C2 01 0003F000:00000000 01:00000014 00000000     0        0 2 1 0 20 4 30 10 -1\n' +
  '   2: 0100007F:D3C2 0100007F:1F90 01 00000000:00018000 00:00000000 00000000     0        0 3 2 0 21 8 0 10 -1\n' +
  '   3: garbage\n';

const CASES: ReadonlyArray<{
  readonly name: string;
  readonly selection: SocketSelection | null;
  readonly rows: ReadonlyArray<readonly [string, number, number]>;
}> = [
  {
    name: 'every row',
    selection: null,
    rows: [
      ['0100007F:1F90 00000000:0000', 0, 0],
      ['0100007F:1F90 0100007F:D3C2', 0x3f000, 0],
      ['0100007F:D3C2 0100007F:1F90', 0, 0x18000],
    ],
  },
  {
    name: 'the rows on local port 8080 only (not the client end of the same connection)',
    selection: { localPorts: new Set([8080]), peerPorts: null },
    rows: [
      ['0100007F:1F90 00000000:0000', 0, 0],
      ['0100007F:1F90 0100007F:D3C2', 0x3f000, 0],
    ],
  },
  {
    name: 'on local port 8080 to peer port 54210 (0xD3C2)',
    selection: { localPorts: new Set([8080]), peerPorts: new Set([54210]) },
    rows: [['0100007F:1F90 0100007F:D3C2', 0x3f000, 0]],
  },
  { name: 'no port wanted', selection: { localPorts: new Set(), peerPorts: null }, rows: [] },
];

for (const c of CASES) {
  test(`/proc/net/tcp: ${c.name}`, () => {
    const rows: Array<readonly [string, number, number]> = [];
    parseProcNetTcp(TEXT, c.selection, (key, send, receive) => rows.push([key, send, receive]));
    assert.deepEqual(rows, c.rows);
  });
}

test('/proc/net/tcp: a header alone, or nothing, gives no row', () => {
  const rows: string[] = [];
  for (const text of ['', '  sl  local_address\n', 'no newline at all']) {
    parseProcNetTcp(text, null, (key) => rows.push(key));
  }
  assert.deepEqual(rows, []);
});
