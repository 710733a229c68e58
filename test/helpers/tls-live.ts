/**
 * TLS against a live ebb: a certificate installed under the paths ebb is configured with, as a
 * renewal does (written aside, renamed over), and a throttled TLS download that says which
 * certificate it was shown.
 */
import { copyFile, rename } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import {
  connectTo,
  readResponse,
  requestText,
  type Download,
  type Transport,
} from './http-client.js';
import type { TestCertificate } from './tls-certificate.js';

export interface LivePaths {
  readonly certPath: string;
  readonly keyPath: string;
}

/** Puts `cert` (with `keyPath`, its own key unless told) under `live`. */
export async function installCertificate(
  live: LivePaths,
  cert: TestCertificate,
  keyPath = cert.keyPath,
): Promise<void> {
  await copyFile(cert.certPath, `${live.certPath}.new`);
  await copyFile(keyPath, `${live.keyPath}.new`);
  await rename(`${live.certPath}.new`, live.certPath);
  await rename(`${live.keyPath}.new`, live.keyPath);
}

export interface TlsDownload {
  readonly socket: TLSSocket;
  /** The SHA-256 fingerprint of the certificate the handshake presented. */
  readonly shown: string;
  readonly result: Promise<Download>;
}

/** `GET path` over TLS read at `bytesPerSecond`; resolves once the response head has arrived. */
export async function throttledTlsDownload(
  port: number,
  path: string,
  options: {
    readonly transport: Transport;
    readonly bytesPerSecond: number;
    readonly host?: string;
  },
): Promise<TlsDownload> {
  const socket = (await connectTo(port, options.host, options.transport)) as TLSSocket;
  const shown = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
  let headSeen!: () => void;
  const gotHead = new Promise<void>((resolve) => (headSeen = resolve));
  const result = readResponse(socket, {
    bytesPerSecond: options.bytesPerSecond,
    onHead: () => headSeen(),
  }).finally(() => socket.end());
  socket.write(requestText(path));
  await Promise.race([gotHead, result]);
  return { socket, shown, result };
}
