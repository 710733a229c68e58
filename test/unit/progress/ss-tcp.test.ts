/**
 * Rows of `ss -tnH state connected '( sport = :P … )'` as iproute2 6.1 printed them on Linux 6.18,
 * from a real run (IPv4, IPv6, IPv4-mapped on a dual-stack listener, after our FIN with bytes
 * still unacknowledged, and once the FIN was acknowledged), and the same sockets' rows of
 * /proc/net/tcp{,6} from the same run: both readers must give each socket the same key and
 * the same queues.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSsLine, SsLineSplitter, ssArguments } from '../../../src/progress/ss-tcp.js';
import { parseProcNetTcp } from '../../../src/progress/proc-net-tcp.js';

const SS_OUTPUT =
  'ESTAB      0      1015808          127.0.0.1:42613          127.0.0.1:40084\n' +
  'FIN-WAIT-1 0      836161               [::1]:45391              [::1]:54496\n' +
  'FIN-WAIT-2 0      0                    [::1]:39177              [::1]:40932\n' +
  'ESTAB      0      1015808 [::ffff:127.0.0.1]:42541 [::ffff:127.0.0.1]:43750\n';

const PROC_NET_TCP6 =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
  '   0: 00000000000000000000000001000000:B14F 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7483613 1 00000000aabae0b5 100 0 0 10 0\n' +
  '   3: 00000000000000000000000001000000:B14F 00000000000000000000000001000000:D4E0 04 000CC241:00000000 04:0000001B 00000000     0        0 7483615 2 0000000001023f92 20 0 0 16 -1\n' +
  '   4: 00000000000000000000000001000000:9909 00000000000000000000000001000000:9FE4 05 00000000:00000000 00:00000000 00000000     0        0 7483609 1 000000006b66f984 20 0 0 12 -1\n' +
  '   6: 0000000000000000FFFF00000100007F:A62D 0000000000000000FFFF00000100007F:AAE6 01 000F8000:00000000 04:0000001A 00000000     0        0 7483612 2 00000000c46b261f 20 0 0 16 -1\n';

interface Row {
  readonly send: number;
  readonly receive: number;
}

function rowsOf(lines: readonly string[]): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const line of lines) {
    parseSsLine(line, (key, send, receive) => rows.set(key, { send, receive }));
  }
  return rows;
}

const LINES: ReadonlyArray<{
  readonly name: string;
  readonly line: string;
  readonly key: string | null;
  readonly send?: number;
  readonly receive?: number;
}> = [
  {
    name: 'IPv4, established, send queue full',
    line: 'ESTAB      0      1015808          127.0.0.1:42613          127.0.0.1:40084',
    key: '0100007F:A675 0100007F:9C94',
    send: 1015808,
    receive: 0,
  },
  {
    name: 'IPv6, FIN sent, body tail and FIN unacknowledged',
    line: 'FIN-WAIT-1 0      836161               [::1]:45391              [::1]:54496',
    key: '00000000000000000000000001000000:B14F 00000000000000000000000001000000:D4E0',
    send: 836161,
    receive: 0,
  },
  {
    name: 'IPv4-mapped on a dual-stack listener',
    line: 'ESTAB      0      1015808 [::ffff:127.0.0.1]:42541 [::ffff:127.0.0.1]:43750',
    key: '0000000000000000FFFF00000100007F:A62D 0000000000000000FFFF00000100007F:AAE6',
    send: 1015808,
    receive: 0,
  },
  {
    name: 'a client end: bytes received, unread',
    line: 'ESTAB      98304  0       127.0.0.1:43088 127.0.0.1:35999',
    key: '0100007F:A850 0100007F:8C9F',
    send: 0,
    receive: 98304,
  },
  {
    name: 'link-local with a scope',
    line: 'ESTAB 0 12 [fe80::1]%eth0:80 [fe80::2]%eth0:50000',
    key: '000080FE000000000000000001000000:0050 000080FE000000000000000002000000:C350',
    send: 12,
    receive: 0,
  },
  { name: 'empty', line: '', key: null },
  {
    name: 'a header row',
    line: 'State Recv-Q Send-Q Local Address:Port Peer Address:Port',
    key: null,
  },
  { name: 'too few fields', line: 'ESTAB 0 0 127.0.0.1:80', key: null },
  { name: 'a port past 65535', line: 'ESTAB 0 0 127.0.0.1:70000 127.0.0.1:1', key: null },
  { name: 'no port', line: 'ESTAB 0 0 127.0.0.1 127.0.0.1:1', key: null },
];

for (const c of LINES) {
  test(`ss row: ${c.name}`, () => {
    const rows = rowsOf([c.line]);
    if (c.key === null) {
      assert.equal(rows.size, 0);
      return;
    }
    assert.deepEqual([...rows], [[c.key, { send: c.send, receive: c.receive }]]);
  });
}

test('ss and /proc/net/tcp6 give the same sockets the same key and queues', () => {
  const fromSs = rowsOf(SS_OUTPUT.split('\n'));
  const fromProc = new Map<string, Row>();
  const selection = { localPorts: new Set([45391, 39177, 42541]), peerPorts: null };
  parseProcNetTcp(PROC_NET_TCP6, selection, (key, send, receive) =>
    fromProc.set(key, { send, receive }),
  );
  assert.equal(fromProc.size, 4); // three connections and the listener (same local port)
  for (const [key, row] of fromProc) {
    if (key.endsWith(':0000')) continue; // the listening socket: ss is asked for connected ones
    assert.deepEqual(fromSs.get(key), row, key);
  }
  assert.equal(fromSs.size, 4);
});

test('ss is asked for the connected sockets on the given local ports only', () => {
  assert.deepEqual(ssArguments({ localPorts: new Set([80, 443]), peerPorts: null }), [
    '-tnH',
    'state',
    'connected',
    '( sport = :80 or sport = :443 )',
  ]);
});

test('a few last replies are asked about by their peer ports too', () => {
  assert.deepEqual(ssArguments({ localPorts: new Set([80]), peerPorts: new Set([50000, 50001]) }), [
    '-tnH',
    'state',
    'connected',
    '( sport = :80 ) and ( dport = :50000 or dport = :50001 )',
  ]);
});

test('output cut anywhere between chunks gives the same rows', () => {
  const whole = rowsOf(SS_OUTPUT.split('\n'));
  for (let cut = 0; cut <= SS_OUTPUT.length; cut++) {
    const rows = new Map<string, Row>();
    const lines = new SsLineSplitter((key, send, receive) => rows.set(key, { send, receive }));
    assert.ok(lines.push(SS_OUTPUT.slice(0, cut)));
    assert.ok(lines.push(SS_OUTPUT.slice(cut)));
    lines.end();
    assert.deepEqual(rows, whole, `cut at ${cut}`);
  }
});

test('a line past 1 KiB stops the read (not the format parsed)', () => {
  const lines = new SsLineSplitter(() => undefined);
  assert.equal(lines.push('x'.repeat(2000)), false);
});
