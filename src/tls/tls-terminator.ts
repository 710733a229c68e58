/**
 * Turns accepted TCP sockets into server-side TLS sockets with the current context. The
 * listeners stay plain `net.Server`s, so a listener handed over (systemd, an upgrade) is wrapped
 * the same way by whichever process accepts on it. Swapping the context (a reload with a renewed
 * certificate, a ticket key rotation) affects the next handshake only: a connection keeps the
 * context it began with.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { ALPN_PROTOCOLS, buildSecureContext, type TlsCredentials } from './secure-context.js';

/**
 * How long a set of session ticket keys is used. A stolen key decrypts every session resumed
 * with it, so it must not live for the process's lifetime; a client whose ticket is older just
 * makes a full handshake.
 */
export const TICKET_ROTATION_MS = 12 * 60 * 60 * 1000;

export class TlsTerminator {
  private context: SecureContext;
  private readonly rotation: NodeJS.Timeout;

  constructor(private credentials: TlsCredentials) {
    this.context = buildSecureContext(credentials);
    this.rotation = setInterval(() => this.rotateTicketKeys(), TICKET_ROTATION_MS).unref();
  }

  /** The certificate the next handshake presents. */
  get current(): TlsCredentials {
    return this.credentials;
  }

  /** A reload's new certificate and key (already read and checked by `readTlsCredentials`). */
  replace(credentials: TlsCredentials): void {
    this.context = buildSecureContext(credentials);
    this.credentials = credentials;
  }

  /** A new context from the same credentials: new ticket keys, the same certificate. */
  rotateTicketKeys(): void {
    this.context = buildSecureContext(this.credentials);
  }

  /** The accepted socket's TLS side; the handshake runs before the first 'data'. */
  wrap(socket: Socket): TLSSocket {
    return new TLSSocket(socket, {
      isServer: true,
      secureContext: this.context,
      ALPNProtocols: [...ALPN_PROTOCOLS],
    });
  }

  stop(): void {
    clearInterval(this.rotation);
  }
}
