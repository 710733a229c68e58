/**
 * The `--listen-tls` listeners and the terminator that wraps what they accept. They are plain
 * TCP servers (so an upgrade hands them over like the others) whose sockets go through the fd
 * gate, then get the TLS context in force, then reach the acceptor. A reload re-reads the
 * certificate and key (always: a renewal writes the same paths) and binds the added listeners
 * before anything is swapped in; `apply` then swaps the certificate for the next handshake and
 * closes the removed listeners. Connections in flight keep the context they began with.
 */
import type { Socket } from 'node:net';
import type { ListenAddress, ServeConfig } from '../config/schema.js';
import { diffListen, listenKey } from '../config/diff-config.js';
import { bindEach, ListenerSet, type KeyedListener } from '../lifecycle/listener-set.js';
import type { ListenerErrorSink, PublicListeners } from '../lifecycle/listeners.js';
import { readTlsCredentials, type TlsCredentials, type TlsFiles } from './secure-context.js';
import { TlsTerminator } from './tls-terminator.js';

/** The certificate and key of the `--listen-tls` listeners; null when there are none. */
export function tlsFilesOf(config: ServeConfig): TlsFiles | null {
  const { listenTls, tlsCert, tlsKey } = config;
  if (listenTls.length === 0 || tlsCert === null || tlsKey === null) return null;
  return { certPath: tlsCert, keyPath: tlsKey };
}

/** Reads the configured credentials, or null when `config` has no TLS listener. */
export function readConfiguredCredentials(config: ServeConfig): Promise<TlsCredentials | null> {
  const files = tlsFilesOf(config);
  return files === null ? Promise.resolve(null) : readTlsCredentials(files, Date.now());
}

/** Every configured address, plain and TLS: whether `[::]` must be v6-only depends on all. */
export function allAddresses(config: ServeConfig): readonly ListenAddress[] {
  return [...config.listen, ...config.listenTls];
}

export interface TlsWiring {
  /** Where a wrapped socket goes (the acceptor). */
  readonly onSocket: (socket: Socket) => void;
  /** The fd gate, around each accepted TCP socket before it is wrapped. */
  readonly guard: (onSocket: (socket: Socket) => void) => (socket: Socket) => void;
  readonly onError: ListenerErrorSink;
}

/** A reload's TLS side while it is built: each step's promise, for the reload to settle. */
export interface TlsReloadSteps {
  /** The re-read certificate and key; null when the new config has no TLS listener. */
  readonly credentials: Promise<TlsCredentials | null>;
  /** The added listeners, bound once the credentials are read (so they have a context). */
  readonly added: Promise<KeyedListener[]>;
}

/** One line for a reload's report when the certificate served changed; null when it did not. */
export function describeCertificateChange(
  before: TlsCredentials | null,
  after: TlsCredentials | null,
): string | null {
  if (after === null || before?.fingerprint256 === after.fingerprint256) return null;
  const describe = (c: TlsCredentials): string =>
    `serial ${c.serialNumber} (${c.subject.replace(/\n/g, ', ')}, until ${new Date(c.notAfterMs).toISOString()})`;
  return `tls certificate: ${before === null ? 'none' : describe(before)} → ${describe(after)}`;
}

export class TlsListeners {
  private terminator: TlsTerminator | null;
  /** A reload's terminator while TLS is being turned on: the added listeners wrap with it. */
  private candidate: TlsTerminator | null = null;
  private readonly set = new ListenerSet([]);
  /** What a TLS listener calls with each accepted TCP socket. */
  readonly accept: (socket: Socket) => void;

  constructor(
    credentials: TlsCredentials | null,
    private readonly wiring: TlsWiring,
  ) {
    this.terminator = credentials === null ? null : new TlsTerminator(credentials);
    this.accept = wiring.guard((socket) => this.wrap(socket));
  }

  private wrap(socket: Socket): void {
    const terminator = this.terminator ?? this.candidate;
    if (terminator === null) {
      // Only on a listener a failing reload bound before its certificate could be read.
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    this.wiring.onSocket(terminator.wrap(socket));
  }

  /** Whether there is a TLS context, i.e. TLS listeners can be served (or handed over). */
  get enabled(): boolean {
    return this.terminator !== null;
  }

  /** The certificate the next handshake presents. */
  get credentials(): TlsCredentials | null {
    return this.terminator?.current ?? null;
  }

  get addresses(): readonly string[] {
    return this.set.addresses;
  }

  /** Each listening server with its key, for a handover. */
  handles(): ReturnType<ListenerSet['handles']> {
    return this.set.handles();
  }

  /** At start: the handed-over listeners (an upgrade), then the configured ones not among them. */
  async start(config: ServeConfig, inherited: ReadonlyMap<string, PublicListeners>): Promise<void> {
    if (this.terminator === null) return;
    const adopted = [...inherited].map(([key, listeners]) => ({ key, listeners }));
    const fresh = config.listenTls.filter((a) => !inherited.has(listenKey(a)));
    try {
      const bound = await bindEach(fresh, this.accept, this.wiring.onError, allAddresses(config));
      this.set.replace(config.listenTls, [...adopted, ...bound]);
    } catch (error) {
      for (const entry of adopted) entry.listeners.close();
      throw error;
    }
  }

  /** Starts a reload's TLS steps; settle both, then `apply` or `discard`. */
  prepare(previous: ServeConfig, next: ServeConfig): TlsReloadSteps {
    const credentials = readConfiguredCredentials(next);
    const { added } = diffListen(previous.listenTls, next.listenTls);
    const bound = credentials
      .then((read) => {
        if (read !== null && this.terminator === null) this.candidate = new TlsTerminator(read);
      })
      .catch(() => undefined)
      .then(() => bindEach(added, this.accept, this.wiring.onError, allAddresses(next)));
    return { credentials, added: bound };
  }

  /** The reload is in: the next handshake presents `credentials`; removed listeners close. */
  apply(next: ServeConfig, credentials: TlsCredentials | null, added: KeyedListener[]): void {
    if (credentials !== null) {
      if (this.terminator === null) this.terminator = this.candidate;
      this.terminator?.replace(credentials);
    }
    this.candidate = null;
    this.set.replace(next.listenTls, added);
  }

  /** The reload failed: what it bound is closed, its terminator dropped. */
  discard(added: readonly KeyedListener[]): void {
    for (const entry of added) entry.listeners.close();
    this.candidate?.stop();
    this.candidate = null;
  }

  /** Stops accepting (a drain); connections accepted are untouched. */
  close(): void {
    this.set.close();
  }

  /** Stops accepting once the connections the kernel queued before now are accepted. */
  closeAfterAccepting(): Promise<void> {
    return this.set.closeAfterAccepting();
  }

  /** Stops the ticket key rotation (the process is done). */
  stop(): void {
    this.terminator?.stop();
    this.candidate?.stop();
  }
}
