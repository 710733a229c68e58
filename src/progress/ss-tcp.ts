/**
 * What `ss` (iproute2) prints, read: `ss` asks over netlink sock_diag with a filter the kernel
 * runs, so only the sockets on ebb's own ports come back, not every socket of the machine (on
 * loopback, both ends of each connection) as /proc/net/tcp gives. ss-session.ts runs it.
 */
import { procEndpoint } from './tcp-key.js';
import type { SocketSelection, TcpQueueSink } from './tcp-table.js';

/** A line of ss's output is ~100 bytes; a longer one means the format is not the one parsed. */
const MAX_LINE_BYTES = 1024;

/**
 * `ss` arguments for the selected connected TCP sockets (not listening, not closed):
 * established, and after our FIN (FIN-WAIT-1 holds the unacknowledged tail and the FIN
 * itself), numeric, without the header. The kernel runs the filter (the last argument).
 */
export function ssArguments(selection: SocketSelection): string[] {
  const local = [...selection.localPorts].map((port) => `sport = :${port}`).join(' or ');
  const peers = selection.peerPorts;
  const peer = peers === null ? '' : [...peers].map((port) => `dport = :${port}`).join(' or ');
  const filter = peer === '' ? `( ${local} )` : `( ${local} ) and ( ${peer} )`;
  return ['-tnH', 'state', 'connected', filter];
}

/**
 * Cuts streamed output into lines, keeping at most one partial line between chunks; a line
 * starting with `endMark` (then a status) ends the output and goes to `onEnd` instead.
 */
export class SsLineSplitter {
  private partial = '';
  /** ebb's own ends: the same few `ADDRESS:PORT` on every row, converted once per read. */
  private readonly localKeys = new EndpointKeys();
  constructor(
    private readonly sink: TcpQueueSink,
    private readonly endMark: string | null = null,
    private readonly onEnd: (status: number) => void = () => undefined,
  ) {}

  /** False when a line grew past MAX_LINE_BYTES. */
  push(chunk: string): boolean {
    const text = this.partial + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      const line = text.slice(start, end);
      start = end + 1;
      if (this.endMark !== null && line.startsWith(this.endMark)) {
        this.partial = '';
        this.onEnd(Number(line.slice(this.endMark.length)));
        return true;
      }
      parseSsLine(line, this.sink, this.localKeys);
    }
    this.partial = text.slice(start);
    return this.partial.length <= MAX_LINE_BYTES;
  }

  end(): void {
    if (this.partial !== '') parseSsLine(this.partial, this.sink, this.localKeys);
    this.partial = '';
  }
}

/**
 * One row of `ss -tnH state connected`: `STATE RECV-Q SEND-Q LOCAL PEER`, e.g.
 * `FIN-WAIT-1 0      836161  [::1]:45391  [::1]:54496`. Hands it to `sink` keyed like tcpKey;
 * returns false (and hands nothing) for a row it cannot read.
 */
export function parseSsLine(
  line: string,
  sink: TcpQueueSink,
  localKeys: EndpointKeys = new EndpointKeys(),
): boolean {
  const fields = splitFields(line, 5);
  if (fields === null) return false;
  const [, recvText, sendText, localText, peerText] = fields;
  const receiveQueueBytes = Number(recvText);
  const sendQueueBytes = Number(sendText);
  if (!Number.isSafeInteger(receiveQueueBytes) || !Number.isSafeInteger(sendQueueBytes)) {
    return false;
  }
  const local = localKeys.keyOf(localText);
  const peer = endpointKey(peerText);
  if (local === '' || peer === '') return false;
  sink(`${local} ${peer}`, sendQueueBytes, receiveQueueBytes);
  return true;
}

/** Endpoint keys remembered, up to a bound (a server on many addresses just converts more). */
export class EndpointKeys {
  private static readonly MAX_KEPT = 64;
  private readonly keys = new Map<string, string>();

  keyOf(text: string | undefined): string {
    if (text === undefined) return '';
    const kept = this.keys.get(text);
    if (kept !== undefined) return kept;
    const key = endpointKey(text);
    if (this.keys.size < EndpointKeys.MAX_KEPT) this.keys.set(text, key);
    return key;
  }
}

/** The first `count` whitespace-separated fields of `line`, or null when it has fewer. */
function splitFields(line: string, count: number): string[] | null {
  const fields: string[] = [];
  let at = 0;
  while (fields.length < count) {
    while (at < line.length && line.charCodeAt(at) <= 32) at++;
    if (at >= line.length) return null;
    let end = at;
    while (end < line.length && line.charCodeAt(end) > 32) end++;
    fields.push(line.slice(at, end));
    at = end;
  }
  return fields;
}

/** `127.0.0.1:80`, `[::1]:80`, `[::ffff:10.0.0.1]:80`, `[fe80::1]%eth0:80` in /proc's hex. */
function endpointKey(text: string | undefined): string {
  if (text === undefined) return '';
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return '';
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) return '';
  let address = text.slice(0, colon);
  const percent = address.indexOf('%');
  if (percent !== -1) address = address.slice(0, percent);
  if (address.startsWith('[')) address = address.slice(1, address.endsWith(']') ? -1 : undefined);
  return procEndpoint(address, port);
}
