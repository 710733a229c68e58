/**
 * A strict HTTP/1.1 request-head parser (RFC 9112 §2–§6). ebb serves files and accepts no
 * request content, so framing is only inspected to refuse what could desynchronise the
 * connection: Transfer-Encoding (every chunked smuggling shape), conflicting Content-Length.
 * Lines must end in CRLF; bare CR or LF, obs-fold and whitespace before the colon are refused.
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

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// field-value: VCHAR / obs-text / SP / HTAB, no CR, LF or NUL
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const TARGET = /^[\x21-\x7e]+$/;
const CONTENT_LENGTH = /^\d{1,15}$/;
// A CR not followed by LF, or a LF not preceded by CR: one scan, nothing allocated.
const BARE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;

function invalid(status: InvalidHead['status'], reason: string): InvalidHead {
  return { kind: 'invalid', status, reason };
}

/**
 * Parses one complete head: `head` runs from the request line through the empty line that ends
 * it (head-reader.ts finds it, skipping empty lines before it and enforcing the limits as bytes
 * arrive; they are checked again here so this function is safe on its own).
 */
export function parseHead(
  head: Buffer,
  limits: HeadLimits = DEFAULT_HEAD_LIMITS,
): ParsedHead | InvalidHead {
  if (head.length > limits.maxHeadBytes) return invalid(431, 'request head too large');
  const text = head.toString('latin1');
  if (!text.endsWith('\r\n\r\n')) return invalid(400, 'malformed head');
  const body = text.slice(0, -4);
  if (body.includes('\r\n\r\n')) return invalid(400, 'malformed head');
  const lines = body.split('\r\n');
  const requestLine = lines[0] ?? '';
  if (requestLine.length > limits.maxRequestLineBytes) return invalid(414, 'request line too long');
  if (BARE_CR_OR_LF.test(body)) return invalid(400, 'bare CR or LF in head');

  const line = parseRequestLine(requestLine);
  if (line.kind === 'invalid') return line;

  if (lines.length - 1 > limits.maxHeaderCount) return invalid(431, 'too many header fields');
  const headers: Array<readonly [string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const field = parseField(lines[i] ?? '');
    if (field === null) return invalid(400, 'malformed header field');
    headers.push(field);
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

function parseRequestLine(text: string): RequestLine {
  const parts = text.split(' ');
  if (parts.length !== 3) return { kind: 'invalid', status: 400, reason: 'malformed request line' };
  const [method = '', target = '', version = ''] = parts;
  if (!TOKEN.test(method)) return { kind: 'invalid', status: 400, reason: 'malformed method' };
  if (!TARGET.test(target)) return { kind: 'invalid', status: 400, reason: 'malformed target' };
  // The two versions every client sends, without the regular expression.
  if (version === 'HTTP/1.1') return { kind: 'line', method, target, minorVersion: 1 };
  if (version === 'HTTP/1.0') return { kind: 'line', method, target, minorVersion: 0 };
  const match = /^HTTP\/(\d)\.(\d)$/.exec(version);
  if (match === null) return { kind: 'invalid', status: 400, reason: 'malformed version' };
  if (match[1] !== '1') return { kind: 'invalid', status: 505, reason: 'unsupported version' };
  return { kind: 'line', method, target, minorVersion: match[2] === '0' ? 0 : 1 };
}

function parseField(line: string): readonly [string, string] | null {
  const colon = line.indexOf(':');
  if (colon <= 0) return null;
  const name = line.slice(0, colon);
  // Also refuses obs-fold and "Name : value", both smuggling vectors (RFC 9112 §5.1, §5.2).
  if (!TOKEN.test(name)) return null;
  const value = trimSpaceAndTab(line, colon + 1);
  if (!FIELD_VALUE.test(value)) return null;
  return [name.toLowerCase(), value];
}

/** `line` from `from` without leading or trailing SP and HTAB (OWS, RFC 9110 §5.6.3). */
function trimSpaceAndTab(line: string, from: number): string {
  let start = from;
  let end = line.length;
  while (start < end && isSpaceOrTab(line.charCodeAt(start))) start++;
  while (end > start && isSpaceOrTab(line.charCodeAt(end - 1))) end--;
  return line.slice(start, end);
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
