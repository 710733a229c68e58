/**
 * The two kinds of public listener a test runs against: plain TCP (`--listen`) and TLS
 * (`--listen-tls` with a certificate made at test time), each with the client transport that
 * reaches it. The TCP variant's suffix is empty, so its test names stay as they were.
 */
import { makeTempDir } from './fixtures.js';
import { TCP, type Transport } from './http-client.js';
import { makeCertificate } from './tls-certificate.js';

export interface ListenerVariant {
  /** Appended to the test name: '' for TCP, ' [TLS]' for TLS. */
  readonly suffix: string;
  readonly listenArgs: readonly string[];
  readonly transport: Transport;
}

/** Both variants; the certificate lives in its own temp folder (never inside a docroot). */
export async function listenerVariants(): Promise<{
  readonly variants: readonly ListenerVariant[];
  readonly remove: () => Promise<void>;
}> {
  const dir = await makeTempDir('ebb-tls-');
  const cert = await makeCertificate(dir.path);
  const tlsArgs = ['--tls-cert', cert.certPath, '--tls-key', cert.keyPath];
  return {
    variants: [
      { suffix: '', listenArgs: ['--listen', '127.0.0.1:0'], transport: TCP },
      {
        suffix: ' [TLS]',
        listenArgs: ['--listen-tls', '127.0.0.1:0', ...tlsArgs],
        transport: { kind: 'tls', ca: cert.cert },
      },
    ],
    remove: dir.remove,
  };
}
