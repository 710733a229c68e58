/**
 * Reads back what a server sent on one connection as a sequence of HTTP/1.1 responses and says
 * whether each is well-formed: a status line, header fields, a Content-Length (except a 304)
 * that the body matches. Pure, for the fuzzer: the request that was sent may be garbage, so
 * whether a response is to a HEAD is not known; one that fits either way is accepted.
 */

export interface StreamResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

export type StreamReading =
  | { readonly kind: 'responses'; readonly responses: readonly StreamResponse[] }
  | { readonly kind: 'malformed'; readonly reason: string; readonly offset: number };

const STATUS_LINE = /^HTTP\/1\.1 (\d{3}) [^\r\n]+$/;
const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+): ([\t\x20-\x7e\x80-\xff]*)$/;
const STATUS_PREFIX = Buffer.from('HTTP/1.1 ', 'latin1');

/**
 * `truncated`: the client cut the connection, so the last response may be incomplete (its
 * head, if complete, is still checked).
 */
export function readResponseStream(data: Buffer, truncated: boolean): StreamReading {
  const responses: StreamResponse[] = [];
  let offset = 0;
  while (offset < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', offset, 'latin1');
    if (headEnd === -1) {
      return truncated ? { kind: 'responses', responses } : malformed('unterminated head', offset);
    }
    const head = parseResponseHead(data.toString('latin1', offset, headEnd));
    if (typeof head === 'string') return malformed(head, offset);
    const bodyStart = headEnd + 4;
    const bodyEnd = bodyStart + head.lengthBytes;
    if (bodyEnd > data.length) {
      // Fewer bytes than Content-Length: the connection ended early (the kernel resets sockets
      // when it runs out of TCP memory, which a loaded machine can; `nstat TcpExtTCPAbortOnMemory`).
      if (truncated) return { kind: 'responses', responses };
      const got = data.length - bodyStart;
      return malformed(`short body: ${got} of ${head.lengthBytes} bytes`, bodyStart);
    }
    const withBody = head.lengthBytes > 0 && startsResponseOrEnds(data, bodyEnd);
    if (!withBody && !startsResponseOrEnds(data, bodyStart)) {
      return malformed('bytes after the body do not start a response', bodyEnd);
    }
    const end = withBody ? bodyEnd : bodyStart;
    responses.push({
      status: head.status,
      headers: head.headers,
      body: data.subarray(bodyStart, end),
    });
    offset = end;
  }
  return { kind: 'responses', responses };
}

function malformed(reason: string, offset: number): StreamReading {
  return { kind: 'malformed', reason, offset };
}

function startsResponseOrEnds(data: Buffer, offset: number): boolean {
  if (offset === data.length) return true;
  if (offset > data.length) return false;
  const prefix = data.subarray(offset, offset + STATUS_PREFIX.length);
  return STATUS_PREFIX.subarray(0, prefix.length).equals(prefix);
}

function parseResponseHead(
  text: string,
): { status: number; headers: Map<string, string>; lengthBytes: number } | string {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const status = STATUS_LINE.exec(statusLine);
  if (status === null) return `bad status line ${JSON.stringify(statusLine.slice(0, 80))}`;
  const headers = new Map<string, string>();
  for (const line of lines) {
    const field = FIELD.exec(line);
    if (field === null) return `bad header field ${JSON.stringify(line.slice(0, 80))}`;
    const name = (field[1] ?? '').toLowerCase();
    if (headers.has(name)) return `repeated header field ${name}`;
    headers.set(name, field[2] ?? '');
  }
  const code = Number(status[1]);
  if (!headers.has('date')) return 'no Date';
  const length = headers.get('content-length');
  if (code === 304) return { status: code, headers, lengthBytes: 0 };
  if (length === undefined || !/^\d+$/.test(length)) return `bad Content-Length ${length}`;
  return { status: code, headers, lengthBytes: Number(length) };
}
