/**
 * Combined Log Format plus two fields of ours:
 *
 *   HOST - - [DD/Mon/YYYY:HH:MM:SS +0000] "REQUEST" STATUS BYTES "REFERER" "USER-AGENT" SECONDS OUTCOME
 *
 * BYTES are body bytes handed to the kernel ("-" for none), SECONDS the response duration with
 * millisecond precision, OUTCOME how it ended: complete, aborted, timeout, deadline, stopped,
 * error. Quoted fields escape `"`, `\` and control bytes as \xHH, as nginx does, so a client
 * cannot forge a line. Each quoted field is bounded (FIELD_MAX_CHARS, escaped) and ends in `...`
 * when cut, so a hostile 16 KiB request head makes a line of at most about 8 KiB, not 40 KiB.
 */

export interface AccessRecord {
  readonly remoteAddress: string;
  readonly startedAtMs: number;
  readonly method: string;
  readonly target: string;
  readonly minorVersion: 0 | 1;
  readonly status: number;
  readonly bodyBytesSent: number;
  readonly referer: string | undefined;
  readonly userAgent: string | undefined;
  readonly durationMs: number;
  readonly outcome: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The last second formatted: lines come in bursts within one second, so it is formatted once. */
let cachedSecond = Number.NaN;
let cachedDate = '';

/** `25/Nov/2026:22:15:21 +0000` (UTC: a mirror's logs compare across time zones). */
export function formatClfDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedDate = formatSecond(second * 1000);
    cachedSecond = second;
  }
  return cachedDate;
}

function formatSecond(ms: number): string {
  const d = new Date(ms);
  const month = MONTHS[d.getUTCMonth()] ?? '???';
  return (
    `${pad2(d.getUTCDate())}/${month}/${d.getUTCFullYear()}:` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`
  );
}

const UNSAFE = /[\x00-\x1f"\\\x7f-\xff]/g;
const HAS_UNSAFE = /[\x00-\x1f"\\\x7f-\xff]/;

export function escapeField(value: string): string {
  // Most fields need nothing: a test is half the cost of a replace that finds nothing.
  if (!HAS_UNSAFE.test(value)) return value;
  return value.replace(UNSAFE, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The most characters, after escaping, each quoted field keeps. */
export const FIELD_MAX_CHARS = { request: 4096, referer: 2048, userAgent: 2048 } as const;

const ESCAPE_CHARS = 4; // `\xHH`

/** Escapes `value` and keeps at most `maxChars` of it, never cutting an escape in two. */
export function boundedField(value: string, maxChars: number): string {
  const raw = value.length > maxChars ? value.slice(0, maxChars) : value;
  const escaped = escapeField(raw);
  if (raw === value && escaped.length <= maxChars) return escaped;
  let cut = maxChars - 3;
  // Every `\` in escaped text starts an escape (a literal one is `\x5c`).
  const escapeStart = escaped.lastIndexOf('\\', cut - 1);
  if (escapeStart !== -1 && escapeStart > cut - ESCAPE_CHARS) cut = escapeStart;
  return `${escaped.slice(0, cut)}...`;
}

function quoted(value: string | undefined, maxChars: number): string {
  return value === undefined || value === '' ? '"-"' : `"${boundedField(value, maxChars)}"`;
}

export function formatAccessLine(r: AccessRecord): string {
  const request = r.method === '' ? '-' : `${r.method} ${r.target} HTTP/1.${r.minorVersion}`;
  const bytes = r.bodyBytesSent === 0 ? '-' : String(r.bodyBytesSent);
  const seconds = (r.durationMs / 1000).toFixed(3);
  return (
    `${r.remoteAddress} - - [${formatClfDate(r.startedAtMs)}] ` +
    `${quoted(request, FIELD_MAX_CHARS.request)} ${r.status} ${bytes} ` +
    `${quoted(r.referer, FIELD_MAX_CHARS.referer)} ${quoted(r.userAgent, FIELD_MAX_CHARS.userAgent)} ` +
    `${seconds} ${r.outcome}\n`
  );
}
