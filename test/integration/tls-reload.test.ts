/**
 * Certificates and TLS listeners on reload (issue 13), against the real process: a certificate
 * renewed at the same path (as certbot does) is read again by `ebb reload` and presented to the
 * next connection, while a throttled TLS download begun on the old one completes intact and a
 * client connecting every 5 ms over TLS sees nothing refused or reset; a key that does not match
 * fails the whole reload (exit 2, every problem printed) and the old certificate is still served;
 * TLS listeners are added and removed like plain ones.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import {
  connectTo,
  download,
  isRefused,
  readResponse,
  requestText,
} from '../helpers/http-client.js';
import { adminPortOf, runAdminCommand } from '../helpers/admin.js';
import { describeCounts, lostCounts, NONE_LOST, startProber } from '../helpers/prober.js';
import { installCertificate, throttledTlsDownload } from '../helpers/tls-live.js';
import { makeCertificate, type TestCertificate } from '../helpers/tls-certificate.js';

after(stopAll);

const dir = await makeTempDir('ebb-tls-reload-');
after(dir.remove);
const root = join(dir.path, 'root');
await mkdir(root);
const small = await writeRandomFile(root, 'small.bin', 2048);
const big = await writeRandomFile(root, 'big.iso', 4 * 1024 * 1024);
const first = await makeCertificate(dir.path, 'first', '/CN=localhost/O=first');
const renewed = await makeCertificate(dir.path, 'renewed', '/CN=localhost/O=renewed');
const stranger = await makeCertificate(dir.path, 'stranger');
const ca = Buffer.concat([first.cert, renewed.cert]);
const transport = { kind: 'tls', ca } as const;
const fingerprint = (cert: TestCertificate): string =>
  new X509Certificate(cert.cert).fingerprint256;

// The paths ebb is configured with; a renewal replaces the files under them.
const livePem = join(dir.path, 'live.pem');
const liveKey = join(dir.path, 'live.key');
const live = { certPath: livePem, keyPath: liveKey };
const install = (cert: TestCertificate, keyPath?: string): Promise<void> =>
  installCertificate(live, cert, keyPath);
const runReload = (adminPort: number) => runAdminCommand('reload', adminPort, tokenFile);
const throttledTls = (port: number, bytesPerSecond: number, host?: string) =>
  throttledTlsDownload(port, '/big.iso', {
    transport,
    bytesPerSecond,
    ...(host === undefined ? {} : { host }),
  });
const tokenFile = join(dir.path, 'admin.token');
const configPath = join(dir.path, 'ebb.toml');

async function writeConfig(lines: Record<string, string>): Promise<void> {
  const base = {
    'access-log': '"off"',
    admin: '"127.0.0.1:0"',
    'admin-token-file': JSON.stringify(tokenFile),
  };
  const text = Object.entries({ ...base, ...lines })
    .map(([key, value]) => `${key} = ${value}`)
    .join('\n');
  await writeFile(configPath, `${text}\n`);
}

/** The fingerprint of the certificate a new TLS connection to `port` is shown. */
async function servedFingerprint(port: number, host = '127.0.0.1'): Promise<string> {
  const socket = connectTls({ port, host, ca, ALPNProtocols: ['http/1.1'] });
  await once(socket, 'secureConnect');
  const seen = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
  socket.destroy();
  return seen;
}

test('a certificate renewed at the same path: ebb reload presents it to the next connection; a TLS download in flight finishes intact; nothing refused or reset', async (t) => {
  await install(first);
  await writeConfig({
    root: JSON.stringify(root),
    'listen-tls': '["127.0.0.1:0"]',
    'tls-cert': JSON.stringify(livePem),
    'tls-key': JSON.stringify(liveKey),
  });
  const server = await startEbb(['--config', configPath]);
  const adminPort = adminPortOf(server.stderr.lines);
  assert.equal(await servedFingerprint(server.port), fingerprint(first));

  // 4 MiB at 1 MiB/s: about 4 s, in flight through the reload.
  const inFlight = await throttledTls(server.port, 1024 * 1024);
  assert.equal(inFlight.shown, fingerprint(first));
  const prober = startProber(server.port, '/small.bin', [small.data], 5, transport);
  t.after(() => prober.stop());
  await prober.after(40);

  await install(renewed);
  const reloaded = await runReload(adminPort);
  assert.equal(reloaded.code, 0, reloaded.out);
  assert.match(
    reloaded.out,
    /tls certificate: serial \w+ \(.*O=first.*\) → serial \w+ \(.*O=renewed/,
  );
  assert.equal(await servedFingerprint(server.port), fingerprint(renewed));
  await prober.after(40);

  // A key that is not the certificate's, and a missing root: both reported, nothing changed.
  await install(renewed, stranger.keyPath);
  await writeConfig({
    root: JSON.stringify(join(dir.path, 'missing')),
    'listen-tls': '["127.0.0.1:0"]',
    'tls-cert': JSON.stringify(livePem),
    'tls-key': JSON.stringify(liveKey),
  });
  const broken = await runReload(adminPort);
  assert.equal(broken.code, 2, broken.out);
  assert.match(broken.out, /unchanged/);
  assert.match(broken.out, /the TLS key .*live\.key does not match the certificate .*live\.pem/);
  assert.match(broken.out, /document root .*missing does not exist/);
  assert.equal(await servedFingerprint(server.port), fingerprint(renewed));
  assert.equal((await download(server.port, '/small.bin', { transport })).sha256, small.sha256);

  // A reload with nothing renewed re-reads the same certificate and says nothing changed.
  await install(renewed);
  await writeConfig({
    root: JSON.stringify(root),
    'listen-tls': '["127.0.0.1:0"]',
    'tls-cert': JSON.stringify(livePem),
    'tls-key': JSON.stringify(liveKey),
  });
  const same = await runReload(adminPort);
  assert.equal(same.code, 0, same.out);
  assert.match(same.out, /nothing changed/);

  const done = await inFlight.result;
  assert.equal(done.sha256, big.sha256);
  await prober.after(40);
  const counts = await prober.stop();
  t.diagnostic(describeCounts('5 ms TLS client across certificate reloads', counts));
  assert.deepEqual(lostCounts(counts), NONE_LOST);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0, server.stderr.text());
});

test('reload turns TLS on, then moves a TLS listener: the added one serves HTTPS, the removed one is closed and its download in flight finishes', async () => {
  await install(first);
  await writeConfig({ root: JSON.stringify(root), listen: '["127.0.0.1:0"]' });
  const server = await startEbb(['--config', configPath]);
  const adminPort = adminPortOf(server.stderr.lines);
  const tlsPort = async (host: string): Promise<number> =>
    Number(
      new RegExp(`listening on ${host.replace(/\./g, '\\.')}:(\\d+) \\(TLS\\)`).exec(
        await server.stderr.waitFor(new RegExp(`listening on ${host}:\\d+ \\(TLS\\)`)),
      )?.[1],
    );
  const tlsSettings = {
    'tls-cert': JSON.stringify(livePem),
    'tls-key': JSON.stringify(liveKey),
  };
  await writeConfig({
    root: JSON.stringify(root),
    listen: '["127.0.0.1:0"]',
    'listen-tls': '["127.0.0.2:0"]',
    ...tlsSettings,
  });
  const on = await runReload(adminPort);
  assert.equal(on.code, 0, on.out);
  assert.match(on.out, /listenTls: \+ 127\.0\.0\.2:0/);
  const removedPort = await tlsPort('127.0.0.2');
  assert.equal(await servedFingerprint(removedPort, '127.0.0.2'), fingerprint(first));
  const onRemoved = await throttledTls(removedPort, 1024 * 1024, '127.0.0.2');

  await writeConfig({
    root: JSON.stringify(root),
    listen: '["127.0.0.1:0"]',
    'listen-tls': '["127.0.0.3:0"]',
    ...tlsSettings,
  });
  const moved = await runReload(adminPort);
  assert.equal(moved.code, 0, moved.out);
  assert.match(moved.out, /listenTls: \+ 127\.0\.0\.3:0, - 127\.0\.0\.2:0/);
  const addedPort = await tlsPort('127.0.0.3');
  const onAdded = await connectTo(addedPort, '127.0.0.3', transport);
  const fetched = readResponse(onAdded);
  onAdded.write(requestText('/small.bin'));
  assert.equal((await fetched).sha256, small.sha256);
  onAdded.destroy();
  assert.equal(
    await isRefused(removedPort, '127.0.0.2'),
    true,
    'the removed TLS listener is closed',
  );
  assert.equal((await onRemoved.result).sha256, big.sha256);
  assert.equal((await download(server.port, '/small.bin')).sha256, small.sha256, 'plain serves on');
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0, server.stderr.text());
});
