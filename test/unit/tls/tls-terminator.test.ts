/**
 * The TLS terminator over real loopback sockets, in-process: a certificate swapped (as a reload
 * does) is presented to the next connection while a download in flight on the old context
 * completes intact; rotated ticket keys end resumption with the old tickets.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { randomBytes, createHash, X509Certificate } from 'node:crypto';
import { readTlsCredentials, validityWarnings } from '../../../src/tls/secure-context.js';
import { TlsTerminator } from '../../../src/tls/tls-terminator.js';
import { makeTempDir } from '../../helpers/fixtures.js';
import { makeCertificate } from '../../helpers/tls-certificate.js';

const dir = await makeTempDir('ebb-tls-unit-');
after(dir.remove);
const first = await makeCertificate(dir.path, 'first');
const second = await makeCertificate(dir.path, 'second');
const payload = randomBytes(8 * 1024 * 1024);

/** A server that wraps each socket with `terminator` and sends `payload` on any request. */
async function serve(terminator: TlsTerminator): Promise<{ port: number; close: () => void }> {
  const server = createServer({ allowHalfOpen: true }, (raw) => {
    const socket = terminator.wrap(raw);
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(payload));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

function fingerprint(socket: TLSSocket): string {
  return socket.getPeerX509Certificate()?.fingerprint256 ?? '';
}

void test('a swapped certificate is presented to the next connection; a download in flight keeps its context and completes intact', async () => {
  const terminator = new TlsTerminator(await readTlsCredentials(first, Date.now()));
  after(() => terminator.stop());
  const server = await serve(terminator);
  after(server.close);
  const ca = Buffer.concat([first.cert, second.cert]);
  const inFlight = connect({ port: server.port, host: '127.0.0.1', ca });
  await once(inFlight, 'secureConnect');
  const hash = createHash('sha256');
  let received = 0;
  let swapped = false;
  const done = new Promise<void>((resolve) => inFlight.on('end', resolve));
  inFlight.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    received += chunk.length;
    // Swap mid-download: megabytes of this response are still to come on the old context.
    if (!swapped && received > 1024 * 1024) {
      swapped = true;
      terminator.replace(secondCredentials);
    }
  });
  const secondCredentials = await readTlsCredentials(second, Date.now());
  inFlight.write('go');
  await done;
  assert.ok(swapped);
  assert.equal(fingerprint(inFlight), new X509Certificate(first.cert).fingerprint256);
  assert.equal(hash.digest('hex'), createHash('sha256').update(payload).digest('hex'));
  inFlight.end();
  const next = connect({ port: server.port, host: '127.0.0.1', ca });
  await once(next, 'secureConnect');
  assert.equal(fingerprint(next), new X509Certificate(second.cert).fingerprint256);
  next.destroy();
});

void test('rotated ticket keys: a session resumes before the rotation, not after', async () => {
  const terminator = new TlsTerminator(await readTlsCredentials(first, Date.now()));
  after(() => terminator.stop());
  const server = await serve(terminator);
  after(server.close);
  const handshake = async (session?: Buffer) => {
    const socket = connect({
      port: server.port,
      host: '127.0.0.1',
      ca: first.cert,
      maxVersion: 'TLSv1.2', // a TLS 1.2 ticket arrives with the handshake
      ...(session === undefined ? {} : { session }),
    });
    await once(socket, 'secureConnect');
    const reused = socket.isSessionReused();
    const ticket = socket.getSession();
    socket.destroy();
    return { reused, ticket };
  };
  const { ticket } = await handshake();
  assert.ok(ticket !== undefined);
  assert.equal((await handshake(ticket)).reused, true);
  terminator.rotateTicketKeys();
  assert.equal((await handshake(ticket)).reused, false);
});

const DAY_MS = 86_400_000;
const VALIDITY: ReadonlyArray<readonly [nowMs: number, RegExp | null]> = [
  [10 * DAY_MS, null],
  [30 * DAY_MS, /expired on 1970-01-21T00:00:00\.000Z/],
  [DAY_MS / 2, /is not valid before 1970-01-02T00:00:00\.000Z/],
];

for (const [nowMs, expected] of VALIDITY) {
  void test(`validityWarnings at day ${nowMs / DAY_MS}: ${expected ?? 'none'}`, () => {
    const warnings = validityWarnings('c.pem', DAY_MS, 20 * DAY_MS, nowMs);
    if (expected === null) assert.deepEqual(warnings, []);
    else assert.match(warnings.join('\n'), expected);
  });
}
