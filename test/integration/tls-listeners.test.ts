/**
 * HTTPS listeners against the real server: curl --cacert and Node's tls as clients, a plain and
 * a TLS listener side by side, modern defaults (TLS 1.2+, ALPN http/1.1), close_notify before
 * the half-close, resume with Range over TLS, and the certificate errors that exit 2 before
 * anything is bound.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { promisify } from 'node:util';
import { spawnEbb, startEbb, stopAll } from '../helpers/ebb-process.js';
import { makeTempDir, sha256, writeRandomFile } from '../helpers/fixtures.js';
import { download } from '../helpers/http-client.js';
import { makeCertificate, makeExpiredCertificate } from '../helpers/tls-certificate.js';

const run = promisify(execFile);

after(stopAll);

const root = await makeTempDir();
after(root.remove);
const certs = await makeTempDir('ebb-tls-');
after(certs.remove);
const cert = await makeCertificate(certs.path);
const other = await makeCertificate(certs.path, 'other');
const file = await writeRandomFile(root.path, 'disc.iso', 3 * 1024 * 1024);
const tlsArgs = ['--tls-cert', cert.certPath, '--tls-key', cert.keyPath];
const transport = { kind: 'tls', ca: cert.cert } as const;

test('one ebb serves HTTP on --listen and HTTPS on --listen-tls; curl --cacert gets the file intact', async () => {
  const server = await startEbb([
    '--listen',
    '127.0.0.1:0',
    '--listen-tls',
    '127.0.0.1:0',
    ...tlsArgs,
    '--access-log',
    'off',
    root.path,
  ]);
  assert.match(
    server.stderr.text(),
    /listening on 127\.0\.0\.1:\d+\n.*listening on 127\.0\.0\.1:\d+ \(TLS\)/,
  );
  const [plainPort = 0, tlsPort = 0] = server.ports;
  const plain = await download(plainPort, `/${file.name}`);
  assert.equal(plain.sha256, file.sha256);
  const out = join(certs.path, 'curl.out');
  const curl = await run('curl', [
    '-sS',
    '--cacert',
    cert.certPath,
    '-o',
    out,
    '-w',
    '%{http_version} %{http_code} %{size_download}',
    `https://localhost:${tlsPort}/${file.name}`,
  ]);
  assert.equal(curl.stdout, `1.1 200 ${file.size}`);
  const { stdout: digest } = await run('sha256sum', [out]);
  assert.equal(digest.split(' ')[0], file.sha256);
  // Resume over TLS: the second half with a Range request.
  const half = file.size / 2;
  const ranged = await run('curl', [
    '-sS',
    '--cacert',
    cert.certPath,
    '-r',
    `${half}-`,
    '-o',
    out,
    '-w',
    '%{http_code}',
    `https://127.0.0.1:${tlsPort}/${file.name}`,
  ]);
  assert.equal(ranged.stdout, '206');
  const { stdout: tail } = await run('sha256sum', [out]);
  assert.equal(tail.split(' ')[0], sha256(file.data.subarray(half)));
});

test('modern defaults: ALPN http/1.1 (h2 is not offered), TLS 1.2 and 1.3 accepted, TLS 1.1 refused', async () => {
  const server = await startEbb(['--listen-tls', '127.0.0.1:0', ...tlsArgs, root.path]);
  assert.equal(server.ports.length, 1, 'only --listen-tls: no default plain listener');
  const handshake = (options: { maxVersion?: 'TLSv1.2' | 'TLSv1.1'; alpn: string[] }) =>
    new Promise<{ protocol: string | null; alpn: string | false | null }>((resolve, reject) => {
      const socket = connectTls({
        port: server.port,
        host: '127.0.0.1',
        ca: cert.cert,
        ALPNProtocols: options.alpn,
        ...(options.maxVersion === undefined
          ? {}
          : { maxVersion: options.maxVersion, minVersion: 'TLSv1' as const }),
      });
      socket.once('secureConnect', () => {
        resolve({ protocol: socket.getProtocol(), alpn: socket.alpnProtocol });
        socket.destroy();
      });
      socket.once('error', reject);
    });
  assert.deepEqual(await handshake({ alpn: ['h2', 'http/1.1'] }), {
    protocol: 'TLSv1.3',
    alpn: 'http/1.1',
  });
  assert.deepEqual(await handshake({ alpn: ['http/1.1'], maxVersion: 'TLSv1.2' }), {
    protocol: 'TLSv1.2',
    alpn: 'http/1.1',
  });
  await assert.rejects(
    handshake({ alpn: ['http/1.1'], maxVersion: 'TLSv1.1' }),
    /protocol|version/i,
  );
  const fetched = await download(server.port, `/${file.name}`, { transport });
  assert.equal(fetched.sha256, file.sha256);
});

test('the last reply ends with close_notify, then the half-close (openssl s_client sees the alert)', async () => {
  const server = await startEbb(['--listen-tls', '127.0.0.1:0', ...tlsArgs, root.path]);
  const client = spawn(
    'openssl',
    ['s_client', '-connect', `127.0.0.1:${server.port}`, '-msg', '-quiet', '-ign_eof'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  after(() => client.kill('SIGKILL'));
  let output = '';
  client.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  client.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  client.stdin.write('GET /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const [code] = (await once(client, 'exit')) as [number | null];
  assert.equal(code, 0, output);
  assert.match(output, /HTTP\/1\.1 404 Not Found/);
  assert.match(output, /<<< TLS 1\.3, Alert \[length 0002\], warning close_notify/);
});

async function refusal(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const ebb = spawnEbb(['serve', '--listen-tls', '127.0.0.1:0', ...args, root.path]);
  const closed = once(ebb.child, 'close');
  const exit = await ebb.exited;
  await closed;
  return { code: exit.code, stderr: ebb.stderr.text() };
}

test('a key that does not match its certificate, an unreadable or a non-PEM file: exit 2, nothing bound', async () => {
  const garbage = join(certs.path, 'garbage.pem');
  await writeFile(garbage, 'not a certificate\n');
  const cases: ReadonlyArray<readonly [readonly string[], RegExp]> = [
    [
      ['--tls-cert', cert.certPath, '--tls-key', other.keyPath],
      /the TLS key .*other\.key does not match the certificate .*server\.pem/,
    ],
    [
      ['--tls-cert', join(certs.path, 'missing.pem'), '--tls-key', cert.keyPath],
      /cannot read the TLS certificate .*missing\.pem: ENOENT/,
    ],
    [['--tls-cert', garbage, '--tls-key', cert.keyPath], /garbage\.pem is not a PEM certificate/],
    [['--tls-cert', cert.certPath, '--tls-key', garbage], /garbage\.pem is not a PEM private key/],
  ];
  for (const [args, pattern] of cases) {
    const result = await refusal(args);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, pattern);
    assert.doesNotMatch(result.stderr, /listening on|^\s+at /m);
  }
});

test('an expired certificate is served with a warning naming it and its date', async () => {
  const expired = await makeExpiredCertificate(certs.path);
  const server = await startEbb([
    '--listen-tls',
    '127.0.0.1:0',
    '--tls-cert',
    expired.certPath,
    '--tls-key',
    expired.keyPath,
    root.path,
  ]);
  assert.match(
    server.stderr.text(),
    /warning: the TLS certificate .*expired\.pem expired on 2020-01-02T00:00:00\.000Z/,
  );
});
