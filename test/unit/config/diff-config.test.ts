import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServeConfig } from '../../../src/config/build-serve-config.js';
import { diffConfigs, diffListen, listenKey } from '../../../src/config/diff-config.js';
import type { ServeConfig } from '../../../src/config/schema.js';

function config(input: Record<string, unknown>): ServeConfig {
  return buildServeConfig([{ source: { kind: 'flags', cwd: '/srv' }, input }], '/srv');
}

const CASES: ReadonlyArray<{
  readonly name: string;
  readonly before: Record<string, unknown>;
  readonly after: Record<string, unknown>;
  readonly changes: readonly string[];
  readonly refused: readonly string[];
}> = [
  { name: 'nothing changed', before: {}, after: {}, changes: [], refused: [] },
  {
    name: 'the rate limits reload (issue 13)',
    before: {},
    after: { 'rate-total': '1MB/s', 'rate-per-connection': '100KB/s' },
    changes: ['ratePerConnection: null → 100000', 'rateTotal: null → 1000000'],
    refused: [],
  },
  {
    name: 'TLS listeners added with their certificate and key (issue 13)',
    before: {},
    after: {
      listen: ['127.0.0.1:8080'],
      'listen-tls': ['127.0.0.1:8443'],
      'tls-cert': 'c.pem',
      'tls-key': 'k.pem',
    },
    changes: [
      'listenTls: + 127.0.0.1:8443',
      'tlsCert: null → "/srv/c.pem"',
      'tlsKey: null → "/srv/k.pem"',
    ],
    refused: [],
  },
  {
    name: 'a TLS listener added and one removed, the certificate moved',
    before: { 'listen-tls': ['127.0.0.1:1', '[::1]:2'], 'tls-cert': 'a.pem', 'tls-key': 'k.pem' },
    after: { 'listen-tls': ['[::1]:2', '127.0.0.1:3'], 'tls-cert': 'b.pem', 'tls-key': 'k.pem' },
    changes: ['listenTls: + 127.0.0.1:3, - 127.0.0.1:1', 'tlsCert: "/srv/a.pem" → "/srv/b.pem"'],
    refused: [],
  },
  {
    name: 'root',
    before: { root: 'a' },
    after: { root: 'b' },
    changes: ['root: "/srv/a" → "/srv/b"'],
    refused: [],
  },
  {
    name: 'a listener added and one removed',
    before: { listen: ['127.0.0.1:1', '127.0.0.1:2'] },
    after: { listen: ['127.0.0.1:2', '[::1]:3'] },
    changes: ['listen: + [::1]:3, - 127.0.0.1:1'],
    refused: [],
  },
  {
    name: 'listen order alone is no change',
    before: { listen: ['127.0.0.1:1', '127.0.0.1:2'] },
    after: { listen: ['127.0.0.1:2', '127.0.0.1:1'] },
    changes: [],
    refused: [],
  },
  {
    name: 'durations and policies',
    before: { 'keepalive-timeout': '5s', 'drain-new': 'refuse' },
    after: { 'keepalive-timeout': '10s', 'drain-new': '503' },
    changes: [
      'keepaliveTimeoutMs: 5000 → 10000',
      'drainNew: {"kind":"refuse"} → {"kind":"status503"}',
    ],
    refused: [],
  },
  {
    name: 'the pid file cannot change',
    before: { 'pid-file': 'a.pid', admin: 'off' },
    after: { 'pid-file': 'b.pid', admin: 'off' },
    changes: [],
    refused: [
      'pidFile: "/srv/a.pid" → "/srv/b.pid": needs a restart or `ebb upgrade`',
      // The token file beside the pid file moves with it: it belongs to the admin listener.
      'adminTokenFile: "/srv/a.admin-token" → "/srv/b.admin-token": needs a restart or `ebb upgrade`',
    ],
  },
];

for (const c of CASES) {
  void test(`diffConfigs: ${c.name}`, () => {
    const diff = diffConfigs(config(c.before), config(c.after));
    assert.deepEqual(diff.changes, c.changes);
    assert.deepEqual(diff.refused, c.refused);
  });
}

void test('diffListen matches addresses by host and port', () => {
  const a = { host: '127.0.0.1', port: 0 };
  const b = { host: '::1', port: 0 };
  assert.deepEqual(diffListen([a], [{ ...a }, b]), { added: [b], removed: [] });
  assert.equal(listenKey(b), '[::1]:0');
});
