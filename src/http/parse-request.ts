/**
 * A strict HTTP/1.1 request-head parser (RFC 9112 §2–§6). ebb serves files and accepts no
 * request content, so framing is only inspected to refuse what could desynchronise the
 * connection: Transfer-Encoding (every chunked smuggling shape), conflicting Content-Length.
 * Lines must end in CRLF (head-reader.ts checks that as the bytes arrive); obs-fold and
 * whitespace before the colon are refused here.
 */
import { absoluteFormAuthority, isValidAuthority } from './authority.js';
import type { ParsedRequest } from './types.js';

export interface HeadLimits {
  /** Longest request line; longer → 414. */
  readonly maxRequestLineBytes: number;
  /** Longest head (request line + fields); longer → 431. */
  readonly maxHeadBytes: number;
  readonly maxHeaderCount: number;
}

export const DEFAULT_HEAD_LIMITS: HeadLimits = {
  maxRequestLineBytes: 8192,
  maxHeadBytes: 16384,
  maxHeaderCount: 100,
};

/** A complete head that passed every check. */
export interface ParsedHead {
  readonly kind: 'request';
  readonly request: ParsedRequest;
  /** The request announced content: answer, then close rather than parse it. */
  readonly hasContent: boolean;
  /** The client asked for the connection to end after this response. */
  readonly wantsClose: boolean;
}

export interface InvalidHead {
  readonly kind: 'invalid';
  readonly status: 400 | 414 | 431 | 505;
  readonly reason: string;
}

/** A table of the character codes (0–255) in `ranges`, for checks without a regular expression. */
function charTable(...ranges: Array<string | readonly [number, number]>): Uint8Array {
  const table = new Uint8Array(256);
  for (const range of ranges) {
    if (typeof range === 'string') for (const char of range) table[char.charCodeAt(0)] = 1;
    else table.fill(1, range[0], range[1] + 1);
  }
  return table;
}

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = charTable("!#$%&'*+-.^_`|~", [0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]);
// field-value: VCHAR / obs-text / SP / HTAB, no CR, LF or NUL
const FIELD_VALUE_CHAR = charTable([0x09, 0x09], [0x20, 0x7e], [0x80, 0xff]);
const TARGET_CHAR = charTable([0x21, 0x7e]);
const UPPER = charTable([0x41, 0x5a]);

/** Whether every character of `text` from `start` to `end` is in `table` (codes above 255 never are). */
function allIn(table: Uint8Array, text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (table[text.charCodeAt(i)] !== 1) return false;
  return true;
}

const CONTENT_LENGTH = /^\d{1,15}$/;

function invalid(status: InvalidHead['status'], reason: string): InvalidHead {
  return { kind: 'invalid', status, reason };
}

/**
 * Parses one complete head: `head` runs from the request line through the empty line that ends
 * it. head-reader.ts finds it and has checked its framing and size as the bytes arrived: every
 * line ends in CRLF, there is no bare CR or LF, no empty line before the last, and the limits
 * hold. So this parser only walks the lines, one character table lookup at a time, and builds
 * nothing but the strings a request keeps.
 */
export function parseFramedHead(head: Buffer): ParsedHead | InvalidHead {
  const text = head.toString('latin1');
  const bodyEnd = text.length - 4; // the empty line's CRLF and the last field's
  const requestLineEnd = text.indexOf('\r\n');
  const line = parseRequestLine(text, requestLineEnd);
  if (line.kind === 'invalid') return line;
  const headers: Array<readonly [string, string]> = [];
  for (let start = requestLineEnd + 2; start <= bodyEnd;) {
    let end = text.indexOf('\r\n', start);
    if (end === -1) end = bodyEnd;
    const field = parseField(text, start, end);
    if (field === null) return invalid(400, 'malformed header field');
    headers.push(field);
    start = end + 2;
  }
  const request: ParsedRequest = {
    method: line.method,
    target: line.target,
    minorVersion: line.minorVersion,
    headers,
  };
  return finishHead(request);
}

type RequestLine =
  | { kind: 'line'; method: string; target: string; minorVersion: 0 | 1 }
  | { kind: 'invalid'; status: 400 | 505; reason: string };

/** `METHOD SP TARGET SP VERSION`, the first `end` characters of `text`. */
function parseRequestLine(text: string, end: number): RequestLine {
  const firstSpace = text.indexOf(' ');
  const secondSpace = firstSpace === -1 ? -1 : text.indexOf(' ', firstSpace + 1);
  if (secondSpace === -1 || secondSpace >= end || text.lastIndexOf(' ', end - 1) !== secondSpace) {
    return { kind: 'invalid', status: 400, reason: 'malformed request line' };
  }
  if (firstSpace === 0 || !allIn(TCHAR, text, 0, firstSpace)) {
    return { kind: 'invalid', status: 400, reason: 'malformed method' };
  }
  if (secondSpace === firstSpace + 1 || !allIn(TARGET_CHAR, text, firstSpace + 1, secondSpace)) {
    return { kind: 'invalid', status: 400, reason: 'malformed target' };
  }
  const method = text.slice(0, firstSpace);
  const target = text.slice(firstSpace + 1, secondSpace);
  const version = text.slice(secondSpace + 1, end);
  // The two versions every client sends, without the regular expression.
  if (version === 'HTTP/1.1') return { kind: 'line', method, target, minorVersion: 1 };
  if (version === 'HTTP/1.0') return { kind: 'line', method, target, minorVersion: 0 };
  const match = /^HTTP\/(\d)\.(\d)$/.exec(version);
  if (match === null) return { kind: 'invalid', status: 400, reason: 'malformed version' };
  if (match[1] !== '1') return { kind: 'invalid', status: 505, reason: 'unsupported version' };
  return { kind: 'line', method, target, minorVersion: match[2] === '0' ? 0 : 1 };
}

/** The field line from `start` to `end` of `text`, its name lowercased; null when malformed. */
function parseField(text: string, start: number, end: number): readonly [string, string] | null {
  const colon = text.indexOf(':', start);
  if (colon <= start || colon >= end) return null;
  // Also refuses obs-fold and "Name : value", both smuggling vectors (RFC 9112 §5.1, §5.2).
  let upper = false;
  for (let i = start; i < colon; i++) {
    const code = text.charCodeAt(i);
    if (TCHAR[code] !== 1) return null;
    if (UPPER[code] === 1) upper = true;
  }
  let valueStart = colon + 1;
  let valueEnd = end;
  while (valueStart < valueEnd && isSpaceOrTab(text.charCodeAt(valueStart))) valueStart++;
  while (valueEnd > valueStart && isSpaceOrTab(text.charCodeAt(valueEnd - 1))) valueEnd--;
  if (!allIn(FIELD_VALUE_CHAR, text, valueStart, valueEnd)) return null;
  const name = text.slice(start, colon);
  return [upper ? name.toLowerCase() : name, text.slice(valueStart, valueEnd)];
}

function isSpaceOrTab(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function finishHead(request: ParsedRequest): ParsedHead | InvalidHead {
  let hosts = 0;
  let badHost = false;
  let transferEncoding = false;
  let contentLength: string | undefined;
  let connection = '';
  for (const [name, value] of request.headers) {
    if (name === 'host') {
      hosts++;
      badHost ||= !isValidAuthority(value, true);
    } else if (name === 'transfer-encoding') transferEncoding = true;
    else if (name === 'connection') connection += `,${value.toLowerCase()}`;
    else if (name === 'content-length') {
      for (const item of value.split(',')) {
        const length = item.trim();
        if (!CONTENT_LENGTH.test(length)) return invalid(400, 'invalid Content-Length');
        if (contentLength !== undefined && Number(contentLength) !== Number(length)) {
          return invalid(400, 'conflicting Content-Length');
        }
        contentLength = length;
      }
    }
  }
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1.
  if (request.minorVersion === 1 && hosts !== 1) return invalid(400, 'missing or repeated Host');
  if (hosts > 1) return invalid(400, 'repeated Host');
  if (badHost) return invalid(400, 'malformed Host');
  const authority = absoluteFormAuthority(request.target);
  if (authority !== null && !isValidAuthority(authority, false)) {
    return invalid(400, 'malformed authority in the request target');
  }
  // We read no request content, so we never decode chunked framing: refusing it outright also
  // refuses every TE/CL desynchronisation shape.
  if (transferEncoding) return invalid(400, 'Transfer-Encoding in a request is not accepted');
  const tokens = connection === '' ? [] : connection.split(',').map((t) => t.trim());
  const wantsClose =
    tokens.includes('close') || (request.minorVersion === 0 && !tokens.includes('keep-alive'));
  const hasContent = contentLength !== undefined && Number(contentLength) > 0;
  return { kind: 'request', request, hasContent, wantsClose };
}
