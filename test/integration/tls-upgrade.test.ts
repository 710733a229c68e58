/**
 * An upgrade with `--listen-tls` listeners (issue 13), against real processes: the old ebb hands
 * its TLS listeners over beside the plain one, flagged, and the new ebb wraps them in TLS with
 * the certificate it read itself (renewed on disk before the upgrade). TLS downloads in flight
 * finish intact on the old process, which exits 0; a client connecting every 5 ms over TLS sees
 * nothing refused, reset or wrong; new TLS connections are the new pid's. A certificate the new
 * ebb cannot use fails the upgrade, and the old one serves on.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stopAll, pidsKilledAfter } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { download } from '../helpers/http-client.js';
import { adminFetch, runAdminCommand } from '../helpers/admin.js';
import { startWithAdmin } from '../helpers/live-server.js';
import { describeCounts, lostCounts, NONE_LOST, startProber } from '../helpers/prober.js';
import { installCertificate, throttledTlsDownload } from '../helpers/tls-live.js';
import { makeCertificate, type TestCertificate } from '../helpers/tls-certificate.js';

const newPids = pidsKilledAfter();
after(stopAll);

const dir = await makeTempDir('ebb-tls-upgrade-');
after(dir.remove);
const root = join(dir.path, 'root');
await mkdir(root);
const small = await writeRandomFile(root, 'small.bin', 2048);
const big = await writeRandomFile(root, 'big.iso', 1024 * 1024);
const first = await makeCertificate(dir.path, 'first', '/CN=localhost/O=first');
const renewed = await makeCertificate(dir.path, 'renewed', '/CN=localhost/O=renewed');
const transport = { kind: 'tls', ca: Buffer.concat([first.cert, renewed.cert]) } as const;
const livePem = join(dir.path, 'live.pem');
const liveKey = join(dir.path, 'live.key');
const tokenFile = join(dir.path, 'admin.token');
const fingerprintOf = (pem: Buffer): string => new X509Certificate(pem).fingerprint256;
const install = (cert: TestCertificate): Promise<void> =>
  installCertificate({ certPath: livePem, keyPath: liveKey }, cert);
const throttledTls = (port: number, bytesPerSecond: number) =>
  throttledTlsDownload(port, '/big.iso', { transport, bytesPerSecond });

/** ebb on a plain and a TLS listener (`ports[1]`), the certificate at the live paths. */
const startTlsEbb = () =>
  startWithAdmin(
    root,
    '--listen-tls',
    '127.0.0.1:0',
    '--tls-cert',
    livePem,
    '--tls-key',
    liveKey,
    '--admin-token-file',
    tokenFile,
  );

test('upgrade hands TLS listeners over: TLS downloads in flight finish on the old ebb, the 5 ms TLS client sees nothing refused or reset, the new pid serves its freshly read certificate', async (t) => {
  await install(first);
  const { server, adminPort } = await startTlsEbb();
  const [plainPort = 0, tlsPort = 0] = server.ports;
  // 1 MiB at 100–130 KB/s: 8–10 s each, still in flight when the upgrade is done.
  const downloads = await Promise.all(
    Array.from({ length: 8 }, (_, i) => throttledTls(tlsPort, 100_000 + i * 4_000)),
  );
  for (const d of downloads) assert.equal(d.shown, fingerprintOf(first.cert));
  let finished = 0;
  for (const d of downloads) void d.result.then(() => finished++);
  const prober = startProber(tlsPort, '/small.bin', [small.data], 5, transport);
  t.after(() => prober.stop());
  const plainProber = startProber(plainPort, '/small.bin', [small.data]);
  t.after(() => plainProber.stop());
  await prober.after(40);

  await install(renewed);
  const { code, out } = await runAdminCommand('upgrade', adminPort, tokenFile);
  const newPid = Number(/new ebb \(pid (\d+)\)/.exec(out)?.[1] ?? 0);
  if (newPid > 0) newPids.add(newPid);
  assert.equal(code, 0, out + server.stderr.text());
  assert.notEqual(newPid, server.pid);
  assert.equal(finished, 0, 'every TLS download is still in flight on the old ebb');
  await prober.after(100);

  // A TLS connection opened after the hand-over: the new ebb's, with the renewed certificate.
  const fresh = await throttledTls(tlsPort, 400_000);
  assert.equal(fresh.shown, fingerprintOf(renewed.cert));
  const token = readFileSync(tokenFile, 'utf8').trim();
  const status = JSON.parse((await adminFetch(adminPort, 'GET', '/status', { token })).body) as {
    pid: number;
    connections: readonly { readonly client: string }[];
  };
  assert.equal(status.pid, newPid);
  assert.ok(
    status.connections.some((c) => c.client === `127.0.0.1:${fresh.socket.localPort}`),
    `the new ebb holds the TLS connection: ${JSON.stringify(status.connections)}`,
  );

  const results = await Promise.all(downloads.map((d) => d.result));
  for (const result of results) assert.equal(result.sha256, big.sha256);
  assert.equal((await server.exited).code, 0, server.stderr.text());
  assert.equal((await fresh.result).sha256, big.sha256);
  assert.equal((await download(plainPort, '/small.bin')).sha256, small.sha256);

  await prober.after(40);
  for (const [what, p] of [
    ['5 ms TLS client during an upgrade', prober],
    ['5 ms plain client during the same upgrade', plainProber],
  ] as const) {
    const counts = await p.stop();
    t.diagnostic(describeCounts(what, counts));
    assert.deepEqual(lostCounts(counts), NONE_LOST, what);
  }
  process.kill(newPid, 'SIGINT');
});

test('upgrade with a key on disk that does not match the certificate: the new ebb exits, the upgrade fails (exit 1), the old one serves TLS on with its certificate', async (t) => {
  await install(first);
  const { server, adminPort } = await startTlsEbb();
  const [, tlsPort = 0] = server.ports;
  const prober = startProber(tlsPort, '/small.bin', [small.data], 5, transport);
  t.after(() => prober.stop());
  await prober.after(40);
  await installCertificate({ certPath: livePem, keyPath: liveKey }, renewed, first.keyPath);
  const { code, out } = await runAdminCommand('upgrade', adminPort, tokenFile);
  assert.equal(code, 1, out);
  assert.match(out, /the TLS key .*live\.key does not match the certificate .*live\.pem/);
  const fresh = await throttledTls(tlsPort, 10_000_000);
  assert.equal(fresh.shown, fingerprintOf(first.cert));
  assert.equal((await fresh.result).sha256, big.sha256);
  await prober.after(40);
  const counts = await prober.stop();
  t.diagnostic(describeCounts('5 ms TLS client during a failed upgrade', counts));
  assert.deepEqual(lostCounts(counts), NONE_LOST);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0, server.stderr.text());
});
