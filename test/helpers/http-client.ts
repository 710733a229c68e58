/**
 * Raw HTTP/1.1 clients over net sockets, for tests where bytes and pacing matter: a download
 * can be throttled (read, pause, read), stalled, or kept alive for another request.
 */
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { createHash } from 'node:crypto';
import { once } from 'node:events';

export interface ResponseHead {
  readonly status: number;
  readonly headers: Map<string, string>;
}

export interface Download extends ResponseHead {
  readonly bodyBytes: number;
  readonly sha256: string;
  /** When the last body byte was read by this client (Date.now()). */
  readonly lastByteAtMs: number;
  /** Whether the server closed the connection after the response. */
  readonly closedByServer: boolean;
  /** Bytes that arrived after this response's body (the start of another response). */
  readonly extraBytes: number;
}

/** How a client reaches the server: plain TCP, or TLS trusting `ca` (a test certificate). */
export type Transport = { readonly kind: 'tcp' } | { readonly kind: 'tls'; readonly ca: Buffer };

export const TCP: Transport = { kind: 'tcp' };

export interface DownloadOptions {
  readonly transport?: Transport;
  readonly host?: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Read no faster than this many bytes per second. */
  readonly bytesPerSecond?: number;
  /** Called once the response head has arrived. */
  readonly onHead?: (head: ResponseHead) => void;
  /** Called each time body bytes are read, with the total so far. */
  readonly onProgress?: (bodyBytes: number) => void;
}

export function connectTo(port: number, host = '127.0.0.1', transport = TCP): Promise<Socket> {
  if (transport.kind === 'tls') {
    const secure = connectTls({ port, host, ca: transport.ca, ALPNProtocols: ['http/1.1'] });
    return once(secure, 'secureConnect').then(() => secure);
  }
  const socket = connect({ port, host });
  return once(socket, 'connect').then(() => socket);
}

export function parseHead(text: string): ResponseHead {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status, headers };
}

export function requestText(path: string, options: DownloadOptions = {}): string {
  let text = `${options.method ?? 'GET'} ${path} HTTP/1.1\r\nHost: ${options.host ?? 'test'}\r\n`;
  for (const [name, value] of Object.entries(options.headers ?? {}))
    text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

/**
 * Sends one request on `socket` and reads its response (Content-Length framed), throttled if
 * asked. Resolves when the body is complete and, if the server closes, after its close.
 */
export function readResponse(
  socket: Socket,
  options: DownloadOptions & { method?: string } = {},
): Promise<Download> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let headBuffer: Buffer | null = Buffer.alloc(0);
    let head: ResponseHead | null = null;
    let expected = 0;
    let bodyBytes = 0;
    let lastByteAtMs = 0;
    let extraBytes = 0;
    let done = false;
    const startMs = Date.now();
    const isHead = options.method === 'HEAD';

    const finish = (closedByServer: boolean): void => {
      if (done || head === null) return;
      done = true;
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      resolve({
        ...head,
        bodyBytes,
        sha256: hash.digest('hex'),
        lastByteAtMs,
        closedByServer,
        extraBytes,
      });
    };
    const complete = (): void => {
      if (head?.headers.get('connection') === 'close') {
        // Wait for the server's close: that is part of what the tests check.
        if (socket.readableEnded || socket.destroyed) finish(true);
        return;
      }
      finish(false);
    };
    const onBody = (data: Buffer): void => {
      // Bytes past this response belong to the next one; a test counting them must see them.
      const chunk = data.subarray(0, expected - bodyBytes);
      extraBytes += data.length - chunk.length;
      hash.update(chunk);
      bodyBytes += chunk.length;
      lastByteAtMs = Date.now();
      options.onProgress?.(bodyBytes);
      if (bodyBytes >= expected) {
        complete();
        return;
      }
      const rate = options.bytesPerSecond;
      if (rate !== undefined) {
        const dueMs = startMs + (bodyBytes / rate) * 1000;
        const waitMs = dueMs - Date.now();
        if (waitMs > 0) {
          socket.pause();
          setTimeout(() => socket.resume(), waitMs);
        }
      }
    };
    const onData = (chunk: Buffer): void => {
      if (head !== null) {
        onBody(chunk);
        return;
      }
      headBuffer = Buffer.concat([headBuffer ?? Buffer.alloc(0), chunk]);
      const end = headBuffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      head = parseHead(headBuffer.toString('latin1', 0, end));
      options.onHead?.(head);
      expected =
        isHead || head.status === 304 ? 0 : Number(head.headers.get('content-length') ?? 0);
      const rest = headBuffer.subarray(end + 4);
      headBuffer = null;
      if (expected === 0) complete();
      else if (rest.length > 0) onBody(rest);
    };
    const onClose = (): void => {
      if (head !== null && bodyBytes >= expected) finish(true);
      else if (!done) {
        done = true;
        reject(new Error(`connection closed after ${bodyBytes} of ${expected} body bytes`));
      }
    };
    const onError = (): void => undefined; // 'close' follows
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.on('end', () => {
      if (head !== null && bodyBytes >= expected) {
        socket.end();
      }
    });
  });
}

/** Opens a connection, sends one GET and reads the whole response. */
export async function download(
  port: number,
  path: string,
  options: DownloadOptions = {},
): Promise<Download> {
  const socket = await connectTo(port, '127.0.0.1', options.transport);
  const response = readResponse(socket, options);
  socket.write(requestText(path, options));
  try {
    return await response;
  } finally {
    // The response is read (or failed) by now: a reset while closing (a TLS server that closes
    // before reading our close_notify) must not surface later as an uncaught error.
    socket.on('error', () => undefined);
    socket.end();
  }
}

/** A download under way: `started` resolves once its response head has arrived. */
export function startDownload(
  port: number,
  path: string,
  options: DownloadOptions = {},
): { readonly started: Promise<void>; readonly result: Promise<Download> } {
  let headSeen!: () => void;
  const started = new Promise<void>((resolve) => (headSeen = resolve));
  const result = download(port, path, {
    ...options,
    onHead: (head) => {
      options.onHead?.(head);
      headSeen();
    },
  });
  return { started, result };
}

/** Whether a TCP connect to `host:port` is refused (nothing listens there). */
export function isRefused(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}
