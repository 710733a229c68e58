import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientGroup } from '../../../src/limits/client-group.js';
import { ConnectionCaps, decideAdmission } from '../../../src/limits/connection-caps.js';

const GROUPS: ReadonlyArray<readonly [address: string, bits: number, group: string]> = [
  ['192.0.2.7', 64, '192.0.2.7'],
  ['::ffff:192.0.2.7', 64, '192.0.2.7'],
  ['2001:db8:1:2:3:4:5:6', 64, '2001:db8:1:2:0:0:0:0/64'],
  ['2001:db8:1:2::99', 64, '2001:db8:1:2:0:0:0:0/64'],
  ['2001:db8:1:2ff::1', 56, '2001:db8:1:200:0:0:0:0/56'],
  ['2001:db8::1', 128, '2001:db8:0:0:0:0:0:1/128'],
  ['::1', 64, '0:0:0:0:0:0:0:0/64'],
  ['fe80::1%eth0', 64, 'fe80:0:0:0:0:0:0:0/64'],
  ['::ffff:1.2.3.4:5', 64, '::ffff:1.2.3.4:5'],
  ['not an address', 64, 'not an address'],
];

for (const [address, bits, group] of GROUPS) {
  void test(`clientGroup(${address}, /${bits}) = ${group}`, () => {
    assert.equal(clientGroup(address, bits), group);
  });
}

const DECISIONS: ReadonlyArray<
  readonly [total: number, fromGroup: number, max: number | null, perIp: number | null, string]
> = [
  [0, 0, null, null, 'admit'],
  [10_000, 10_000, null, null, 'admit'],
  [19, 5, 20, null, 'admit'],
  [20, 5, 20, null, 'total'],
  [5, 9, null, 10, 'admit'],
  [5, 10, null, 10, 'per-ip'],
  [20, 10, 20, 10, 'total'],
];

for (const [total, fromGroup, maxConnections, maxConnectionsPerIp, expected] of DECISIONS) {
  void test(`decideAdmission(${total} open, ${fromGroup} from the group, max ${maxConnections}, per IP ${maxConnectionsPerIp}) = ${expected}`, () => {
    const limits = { maxConnections, maxConnectionsPerIp, ipv6PrefixBits: 64 };
    assert.equal(decideAdmission(total, fromGroup, limits), expected);
  });
}

void test('ConnectionCaps counts per group, frees a slot on release, forgets empty groups', () => {
  const caps = new ConnectionCaps();
  const limits = { maxConnections: null, maxConnectionsPerIp: 2, ipv6PrefixBits: 64 };
  const a = caps.admit('2001:db8::1', limits);
  const b = caps.admit('2001:db8::2', limits);
  assert.deepEqual(caps.admit('2001:db8::3', limits), { kind: 'refuse', over: 'per-ip' });
  assert.equal(caps.admit('2001:db8:0:1::1', limits).kind, 'admit');
  assert.equal(a.kind === 'admit' && b.kind === 'admit', true);
  if (a.kind === 'admit') caps.release(a.group);
  assert.equal(caps.admit('2001:db8::4', limits).kind, 'admit');
  assert.deepEqual(caps.counters, {
    open: 3,
    busiestGroupOpen: 2,
    refusedPerIp: 1,
    refusedTotal: 0,
  });
});
