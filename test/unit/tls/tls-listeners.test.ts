import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TlsCredentials } from '../../../src/tls/secure-context.js';
import { describeCertificateChange } from '../../../src/tls/tls-listeners.js';

function credentials(serialNumber: string, fingerprint256: string): TlsCredentials {
  return {
    files: { certPath: '/etc/ebb/cert.pem', keyPath: '/etc/ebb/key.pem' },
    certPem: Buffer.alloc(0),
    keyPem: Buffer.alloc(0),
    subject: 'CN=localhost\nO=mirror',
    serialNumber,
    fingerprint256,
    notAfterMs: Date.parse('2027-03-01T00:00:00Z'),
    warnings: [],
  };
}

const A = credentials('0A', 'AA:AA');
const B = credentials('0B', 'BB:BB');

const CASES: ReadonlyArray<
  readonly [
    label: string,
    before: TlsCredentials | null,
    after: TlsCredentials | null,
    line: string | null,
  ]
> = [
  ['the same certificate read again: nothing to say', A, { ...A }, null],
  ['TLS turned off: nothing to say (listen-tls says it)', A, null, null],
  [
    'a renewed certificate',
    A,
    B,
    'tls certificate: serial 0A (CN=localhost, O=mirror, until 2027-03-01T00:00:00.000Z) → serial 0B (CN=localhost, O=mirror, until 2027-03-01T00:00:00.000Z)',
  ],
  [
    'TLS turned on',
    null,
    B,
    'tls certificate: none → serial 0B (CN=localhost, O=mirror, until 2027-03-01T00:00:00.000Z)',
  ],
];

for (const [label, before, after, line] of CASES) {
  void test(`describeCertificateChange: ${label}`, () => {
    assert.equal(describeCertificateChange(before, after), line);
  });
}
