/**
 * The TLS credentials of the `--listen-tls` listeners: read the certificate chain and key once,
 * check them (a key that does not match, an unreadable or unparsable file is an error; an expired
 * or not yet valid certificate a warning), and build a `SecureContext` with modern defaults.
 * A reload builds a new one the same way; connections keep the context they began with.
 */
import { randomBytes, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import { EbbError } from '../errors.js';

export interface TlsFiles {
  readonly certPath: string;
  readonly keyPath: string;
}

/** The PEM text as read, kept so that the ticket keys can be rotated without re-reading. */
export interface TlsCredentials {
  readonly files: TlsFiles;
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
  /** Of the leaf certificate. */
  readonly subject: string;
  readonly serialNumber: string;
  /** SHA-256 of the leaf (colon-separated hex): whether a reload brought another certificate. */
  readonly fingerprint256: string;
  readonly notAfterMs: number;
  /** Expired or not yet valid: the operator hears of it, ebb still serves. */
  readonly warnings: readonly string[];
}

/** TLS 1.2 and 1.3 only; HTTP/1.1 only (no h2: mirrors' clients fetch big files over 1.1). */
export const TLS_MIN_VERSION = 'TLSv1.2';
export const ALPN_PROTOCOLS: readonly string[] = ['http/1.1'];
/** Session ticket keys: 48 random bytes (name, HMAC and AES keys), per context. */
const TICKET_KEY_BYTES = 48;

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new EbbError('TLS_INVALID', `cannot read the TLS ${what} ${path}: ${why}`, {
      cause: error,
    });
  }
}

function parseCertificate(pem: Buffer, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new EbbError('TLS_INVALID', `${path} is not a PEM certificate`, { cause: error });
  }
}

function parseKey(pem: Buffer, path: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    throw new EbbError('TLS_INVALID', `${path} is not a PEM private key (or it is encrypted)`, {
      cause: error,
    });
  }
}

/** The validity warnings of a certificate at `nowMs`: pure, for tests. */
export function validityWarnings(
  path: string,
  notBeforeMs: number,
  notAfterMs: number,
  nowMs: number,
): string[] {
  if (nowMs > notAfterMs) {
    return [`the TLS certificate ${path} expired on ${new Date(notAfterMs).toISOString()}`];
  }
  if (nowMs < notBeforeMs) {
    return [
      `the TLS certificate ${path} is not valid before ${new Date(notBeforeMs).toISOString()}`,
    ];
  }
  return [];
}

/** Reads and checks the certificate and key; throws EbbError TLS_INVALID naming the file. */
export async function readTlsCredentials(files: TlsFiles, nowMs: number): Promise<TlsCredentials> {
  const [certPem, keyPem] = await Promise.all([
    readPem(files.certPath, 'certificate'),
    readPem(files.keyPath, 'key'),
  ]);
  const leaf = parseCertificate(certPem, files.certPath);
  const key = parseKey(keyPem, files.keyPath);
  if (!leaf.checkPrivateKey(key)) {
    throw new EbbError(
      'TLS_INVALID',
      `the TLS key ${files.keyPath} does not match the certificate ${files.certPath}`,
    );
  }
  const notAfterMs = Date.parse(leaf.validTo);
  const notBeforeMs = Date.parse(leaf.validFrom);
  const warnings = validityWarnings(files.certPath, notBeforeMs, notAfterMs, nowMs);
  const credentials: TlsCredentials = {
    files,
    certPem,
    keyPem,
    subject: leaf.subject,
    serialNumber: leaf.serialNumber,
    fingerprint256: leaf.fingerprint256,
    notAfterMs,
    warnings,
  };
  // Built once here so that a chain OpenSSL refuses is an error now, not at the first client.
  buildSecureContext(credentials);
  return credentials;
}

/**
 * A context with fresh session ticket keys. Node's SecureContext draws random ticket keys when
 * it is made and never changes them, so rotating the keys means building a new context.
 */
export function buildSecureContext(credentials: TlsCredentials): SecureContext {
  try {
    return createSecureContext({
      cert: credentials.certPem,
      key: credentials.keyPem,
      minVersion: TLS_MIN_VERSION,
      ticketKeys: randomBytes(TICKET_KEY_BYTES),
    });
  } catch (error) {
    const { certPath, keyPath } = credentials.files;
    const why = error instanceof Error ? error.message : String(error);
    throw new EbbError('TLS_INVALID', `cannot use ${certPath} with ${keyPath}: ${why}`, {
      cause: error,
    });
  }
}
