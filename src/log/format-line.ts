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

/** The most characters, after escaping, each quoted field keeps. */
export const FIELD_MAX_CHARS = { request: 4096, referer: 2048, userAgent: 2048 } as const;

/** The most bytes `writeAccessLine` writes: the bounded fields, then the rest with room to spare. */
export const MAX_LINE_BYTES =
  FIELD_MAX_CHARS.request + FIELD_MAX_CHARS.referer + FIELD_MAX_CHARS.userAgent + 512;
/** The most characters kept of the fields ebb itself spells (address, outcome). */
const PLAIN_MAX_CHARS = 64;

const QUOTE = 0x22;
const DASH = 0x2d;
const SPACE = 0x20;
const DOT = 0x2e;
const HEX = '0123456789abcdef';

/** Whether a UTF-16 unit is written as `\xHH` (control bytes, `"`, `\\`, DEL and latin1's top half). */
function isUnsafe(code: number): boolean {
  return code < 0x20 || code === QUOTE || code === 0x5c || (code >= 0x7f && code <= 0xff);
}

/**
 * Copies ASCII text ebb spells itself (dates, numbers, the outcome, the address) byte by byte:
 * no string is built or flattened for a line.
 */
function writePlain(text: string, out: Buffer, at: number): number {
  const length = Math.min(text.length, PLAIN_MAX_CHARS);
  for (let i = 0; i < length; i++) out[at++] = text.charCodeAt(i) & 0x7f;
  return at;
}

/**
 * A quoted field being written, as boundedField would make it: escaped, at most `maxChars`
 * after escaping, and cut with `...` at the end of the last whole character that leaves room.
 */
interface FieldCursor {
  at: number;
  limit: number;
  /** Where the text ends if it must be cut (room left for `...`). */
  cutAt: number;
  cutLimit: number;
  cut: boolean;
}

const cursor: FieldCursor = { at: 0, limit: 0, cutAt: 0, cutLimit: 0, cut: false };

function beginField(at: number, maxChars: number): FieldCursor {
  cursor.at = at;
  cursor.limit = at + maxChars;
  cursor.cutAt = at;
  cursor.cutLimit = at + maxChars - 3;
  cursor.cut = false;
  return cursor;
}

/** Adds `text` to the field; latin1 as the wire decodes it (a unit above 0xff goes as UTF-8). */
function addText(field: FieldCursor, text: string, out: Buffer): void {
  for (let i = 0; i < text.length && !field.cut; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0xff) {
      const unsafe = isUnsafe(code);
      if (field.at + (unsafe ? 4 : 1) > field.limit) field.cut = true;
      else if (!unsafe) out[field.at++] = code;
      else {
        out[field.at++] = 0x5c;
        out[field.at++] = 0x78;
        out[field.at++] = HEX.charCodeAt(code >> 4);
        out[field.at++] = HEX.charCodeAt(code & 0xf);
      }
    } else if (field.at + 1 > field.limit) field.cut = true;
    else {
      // Never from the wire (its text is latin1); kept as the string held it, as UTF-8.
      const pair = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? 2 : 1;
      field.at += out.write(text.slice(i, i + pair), field.at, 'utf8');
      i += pair - 1;
    }
    if (!field.cut && field.at <= field.cutLimit) field.cutAt = field.at;
  }
}

function endField(field: FieldCursor, out: Buffer): number {
  if (!field.cut) return field.at;
  let at = field.cutAt;
  for (let i = 0; i < 3; i++) out[at++] = DOT;
  return at;
}

function writeQuoted(value: string | undefined, maxChars: number, out: Buffer, at: number): number {
  out[at++] = QUOTE;
  if (value === undefined || value === '') out[at++] = DASH;
  else {
    const field = beginField(at, maxChars);
    addText(field, value, out);
    at = endField(field, out);
  }
  out[at++] = QUOTE;
  return at;
}

function writeRequest(r: AccessRecord, out: Buffer, at: number): number {
  out[at++] = QUOTE;
  if (r.method === '') out[at++] = DASH;
  else {
    const field = beginField(at, FIELD_MAX_CHARS.request);
    addText(field, r.method, out);
    addText(field, ' ', out);
    addText(field, r.target, out);
    addText(field, r.minorVersion === 0 ? ' HTTP/1.0' : ' HTTP/1.1', out);
    at = endField(field, out);
  }
  out[at++] = QUOTE;
  return at;
}

/** Seconds with millisecond precision, as `(ms / 1000).toFixed(3)` spells them. */
function secondsText(durationMs: number): string {
  if (!Number.isInteger(durationMs) || durationMs < 0) return (durationMs / 1000).toFixed(3);
  const ms = durationMs % 1000;
  return `${(durationMs - ms) / 1000}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}`;
}

/**
 * Writes the line of `r` into `out` at `at` (which has MAX_LINE_BYTES of room) and returns where
 * it ends: the bytes `formatAccessLine` spells, without building them as strings first.
 */
export function writeAccessLine(r: AccessRecord, out: Buffer, at: number): number {
  at = writePlain(r.remoteAddress, out, at);
  at = writePlain(' - - [', out, at);
  at = writePlain(formatClfDate(r.startedAtMs), out, at);
  out[at++] = 0x5d; // ]
  out[at++] = SPACE;
  at = writeRequest(r, out, at);
  out[at++] = SPACE;
  at = writePlain(String(r.status), out, at);
  out[at++] = SPACE;
  if (r.bodyBytesSent === 0) out[at++] = DASH;
  else at = writePlain(String(r.bodyBytesSent), out, at);
  out[at++] = SPACE;
  at = writeQuoted(r.referer, FIELD_MAX_CHARS.referer, out, at);
  out[at++] = SPACE;
  at = writeQuoted(r.userAgent, FIELD_MAX_CHARS.userAgent, out, at);
  out[at++] = SPACE;
  at = writePlain(secondsText(r.durationMs), out, at);
  out[at++] = SPACE;
  at = writePlain(r.outcome, out, at);
  out[at++] = 0x0a;
  return at;
}

const scratch = Buffer.allocUnsafeSlow(MAX_LINE_BYTES);

/** Escapes `value` and keeps at most `maxChars` of it, never cutting an escape in two. */
export function boundedField(value: string, maxChars: number): string {
  const field = beginField(0, maxChars);
  addText(field, value, scratch);
  return scratch.toString('utf8', 0, endField(field, scratch));
}

export function formatAccessLine(r: AccessRecord): string {
  return scratch.toString('utf8', 0, writeAccessLine(r, scratch, 0));
}
