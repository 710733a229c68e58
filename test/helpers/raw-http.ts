/**
 * Raw exchanges for conformance tests: write exact bytes (pipelined, malformed, smuggling
 * shapes), read back every response on the connection with its body, and see whether the
 * server closed. Also multipart/byteranges parsing and waiting for a line in a log file.
 */
import { once } from 'node:events';
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Socket } from 'node:net';
import { connectTo, parseHead } from './http-client.js';

export interface RawResponse {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: Buffer;
}

/**
 * Parses the complete Content-Length framed responses at the start of `data`. Response `i`
 * answers `methods[i]` (default GET): a HEAD response, a 304 and a 1xx have no body.
 */
export function parseResponses(
  data: Buffer,
  methods: readonly string[] = [],
): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let offset = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', offset, 'latin1');
    if (end === -1) break;
    const head = parseHead(data.toString('latin1', offset, end));
    const noBody = methods[responses.length] === 'HEAD' || head.status === 304;
    const length = noBody ? 0 : Number(head.headers.get('content-length') ?? 0);
    if (data.length < end + 4 + length) break;
    responses.push({ ...head, body: data.subarray(end + 4, end + 4 + length) });
    offset = end + 4 + length;
  }
  return { responses, rest: data.subarray(offset) };
}

/** One client connection that keeps every byte it receives. */
export class RawConnection {
  private data = Buffer.alloc(0);
  private ended = false;
  private wake: () => void = () => undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.wake();
    });
    socket.on('error', () => undefined);
    const done = (): void => {
      this.ended = true;
      this.wake();
    };
    socket.once('end', done);
    socket.once('close', done);
  }

  static async open(port: number): Promise<RawConnection> {
    return new RawConnection(await connectTo(port));
  }

  write(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Everything received so far. */
  get received(): Buffer {
    return this.data;
  }

  /** Whether the server has ended (FIN) or the connection closed. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Resolves with the first `count` responses, or rejects if the server ends first. */
  async responses(
    count: number,
    methods: readonly string[] = [],
    timeoutMs = 5000,
  ): Promise<RawResponse[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { responses } = parseResponses(this.data, methods);
      if (responses.length >= count) return responses.slice(0, count);
      if (this.ended) {
        throw new Error(`server ended after ${responses.length} of ${count} responses`);
      }
      await this.nextEvent(deadline - Date.now());
    }
  }

  /** Resolves once the server ended the connection; rejects after `timeoutMs`. */
  async serverEnded(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) await this.nextEvent(deadline - Date.now());
  }

  close(): void {
    this.socket.destroy();
  }

  private nextEvent(remainingMs: number): Promise<void> {
    if (remainingMs <= 0) return Promise.reject(new Error('timed out waiting for the server'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = () => undefined;
        reject(new Error(`timed out; received:\n${this.data.toString('latin1', 0, 600)}`));
      }, remainingMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = () => undefined;
        resolve();
      };
    });
  }
}

/**
 * Writes `bytes` on a new connection, reads `count` responses, then waits for the server to
 * end the connection if it says `Connection: close` (or `waitForEnd`). The client closes last.
 */
export async function exchange(
  port: number,
  bytes: string | Buffer,
  options: { count?: number; methods?: readonly string[]; waitForEnd?: boolean } = {},
): Promise<{ responses: RawResponse[]; ended: boolean; extra: Buffer }> {
  const connection = await RawConnection.open(port);
  try {
    connection.write(bytes);
    const responses = await connection.responses(options.count ?? 1, options.methods);
    const last = responses.at(-1);
    if (options.waitForEnd === true || last?.headers.get('connection') === 'close') {
      await connection.serverEnded();
    }
    const { rest } = parseResponses(connection.received, options.methods);
    return { responses, ended: connection.isEnded, extra: rest };
  } finally {
    connection.close();
  }
}

/** `GET PATH HTTP/1.1` with Host and the given fields, as a string of raw bytes. */
export function rawRequest(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): string {
  let text = `${method} ${path} HTTP/1.1\r\nHost: test\r\n`;
  for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

/** One request on its own connection (closed by the client afterwards). */
export async function fetchRaw(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  const { responses } = await exchange(port, rawRequest(path, headers, method), {
    methods: [method],
  });
  const [response] = responses;
  if (response === undefined) throw new Error('no response');
  return response;
}

export interface BytePart {
  readonly contentType: string | undefined;
  readonly contentRange: string | undefined;
  readonly body: Buffer;
}

/** Splits a multipart/byteranges body (RFC 9110 §14.6) into its parts. */
export function parseByteRanges(body: Buffer, contentType: string): BytePart[] {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (boundary === undefined) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const parts: BytePart[] = [];
  let offset = body.indexOf(delimiter);
  if (offset === -1) throw new Error('no delimiter in multipart body');
  for (;;) {
    offset += delimiter.length;
    if (body.toString('latin1', offset, offset + 2) === '--') break;
    const headEnd = body.indexOf('\r\n\r\n', offset, 'latin1');
    const head = parseHead(`status 0${body.toString('latin1', offset, headEnd)}`);
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headEnd + 4);
    if (headEnd === -1 || next === -1) throw new Error('truncated multipart body');
    parts.push({
      contentType: head.headers.get('content-type'),
      contentRange: head.headers.get('content-range'),
      body: body.subarray(headEnd + 4, next),
    });
    offset = next + 2;
  }
  return parts;
}

/** Resolves with the first line of `path` that matches `pattern` (watching, not polling). */
export function waitForLogLine(path: string, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const find = async (): Promise<string | undefined> => {
    const text = await readFile(path, 'utf8').catch(() => '');
    return text.split('\n').find((line) => pattern.test(line));
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    // Watch first, then look: a write between the two is still seen.
    const watcher = watch(dirname(path), (_event, name) => {
      if (name === basename(path)) void look();
    });
    const timer = setTimeout(() => {
      void readFile(path, 'utf8')
        .catch(() => '(missing)')
        .then((text) =>
          settle(new Error(`no line matching ${pattern} in ${path} in ${timeoutMs} ms:\n${text}`)),
        );
    }, timeoutMs);
    const settle = (result: string | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      watcher.close();
      if (typeof result === 'string') resolve(result);
      else reject(result);
    };
    const look = async (): Promise<void> => {
      const line = await find();
      if (line !== undefined) settle(line);
    };
    void look();
  });
}

/** Resolves when `socket` closes; used where a test needs the close itself. */
export async function closed(socket: Socket): Promise<void> {
  if (socket.destroyed) return;
  await once(socket, 'close');
}
