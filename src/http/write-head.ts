/** Serialises a response head. The Date value is rebuilt at most once a second. */
import { reasonPhrase } from './text-reply.js';
import type { HeaderList } from './types.js';

let dateSecond = -1;
let dateValue = '';

/** The current HTTP-date (RFC 9110 §5.6.7), cached for the second it names. */
export function httpDateNow(nowMs: number = Date.now()): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(second * 1000).toUTCString();
  }
  return dateValue;
}

export type ConnectionToken = 'keep-alive' | 'close' | 'none';

/**
 * Builds `HTTP/1.1 STATUS REASON` + fields + Date + Connection. `connection: 'none'` omits the
 * Connection field (the HTTP/1.1 default is persistence).
 */
export function serializeHead(
  status: number,
  headers: HeaderList,
  connection: ConnectionToken,
  nowMs: number = Date.now(),
): string {
  let head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nDate: ${httpDateNow(nowMs)}\r\n`;
  head += remembered.get(headers) ?? fieldLines(headers);
  if (connection === 'close') head += 'Connection: close\r\n';
  else if (connection === 'keep-alive') head += 'Connection: keep-alive\r\n';
  return head + '\r\n';
}

/** Header lists sent many times (a cached file's reply), with their lines already built. */
const remembered = new WeakMap<HeaderList, string>();

/** Whether `headers` were remembered: the list is sent many times over. */
export function hasRememberedFields(headers: HeaderList): boolean {
  return remembered.has(headers);
}

/** Builds `headers`' lines once, for every head that will carry this very list. */
export function rememberFields(headers: HeaderList): void {
  remembered.set(headers, fieldLines(headers));
}

function fieldLines(headers: HeaderList): string {
  let lines = '';
  for (const [name, value] of headers) lines += `${name}: ${value}\r\n`;
  return lines;
}

/** Whether a response to this request and status carries a body (RFC 9110 §6.4.1). */
export function hasBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status !== 204 && status !== 304 && status >= 200;
}
