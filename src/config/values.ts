/**
 * What each setting accepts: one check per kind of value, from what the operator wrote (a TOML
 * value or a flag's text) to the typed value, or the reasons it was refused. No schema library
 * here; `schema.ts` wraps these.
 */
import { resolve } from 'node:path';
import {
  parseAdminAddress,
  parseListenAddress,
  type AdminAddress,
  type ListenAddress,
} from './address.js';
import { parseBytesPerSecond } from './byte-rate.js';
import { MAX_DURATION_MS, parseDurationMs } from './duration.js';

/** Why a value was refused; `path` indexes into a list value, e.g. `[1]` for `listen[1]`. */
export interface Rejection {
  readonly path: readonly number[];
  readonly expected: string;
}

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly rejections: readonly Rejection[] };

export type Check<T> = (value: unknown) => Checked<T>;

export type AccessLog = { kind: 'off' } | { kind: 'stdout' } | { kind: 'file'; path: string };

export type DrainNew =
  { kind: 'refuse' } | { kind: 'status503' } | { kind: 'redirect'; url: string };

/**
 * `--drain-delay`: a fixed time, or `auto`: until every health checker polling /ready has been
 * answered 503 `answers` times (bounded; none seen, no delay). See lifecycle/drain-delay.ts.
 */
export type DrainDelay =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'auto'; readonly answers: number };

/** HAProxy's `fall` and Kubernetes' `failureThreshold` both default to 3 failed checks. */
export const AUTO_DRAIN_ANSWERS = 3;
/** More answers than this would outlast the bound of a minute at common intervals. */
export const MAX_AUTO_DRAIN_ANSWERS = 10;

const accept = <T>(value: T): Checked<T> => ({ ok: true, value });
const reject = (expected: string): Checked<never> => ({
  ok: false,
  rejections: [{ path: [], expected }],
});

const REDIRECT_PREFIX = 'redirect=';
const DURATION_EXAMPLES = 'such as 30s, 5m, 2h, 1d';
const LISTEN_EXPECTED = 'PORT, HOST:PORT or [IPV6]:PORT with a port 0–65535';
// Visible ASCII, spaces and tabs: anything else would break or smuggle a header.
const HEADER_VALUE = /^[\t\x20-\x7e]+$/;

/** A path, resolved against `baseDir` (the config file's folder, or the working directory). */
export function checkPath(baseDir: string): Check<string> {
  return (value) =>
    typeof value === 'string' && value !== '' && !value.includes('\0')
      ? accept(resolve(baseDir, value))
      : reject('a file or directory path');
}

export function checkFileName(value: unknown): Checked<string> {
  const isName =
    typeof value === 'string' && /^[^/\\\0]+$/.test(value) && value !== '.' && value !== '..';
  return isName ? accept(value) : reject('a file name such as index.html, without slashes');
}

export function checkHeaderValue(value: unknown): Checked<string> {
  return typeof value === 'string' && HEADER_VALUE.test(value)
    ? accept(value)
    : reject('a header value such as "public, max-age=3600" (printable ASCII)');
}

// POSIX portable names plus what Debian's adduser allows (dots, a trailing $), or a number.
const ACCOUNT_NAME = /^(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?|\d{1,10})$/;

/** A user or group as `--user`/`--group` take it: a name, or a numeric id. */
export function checkAccountName(value: unknown): Checked<string> {
  return typeof value === 'string' && ACCOUNT_NAME.test(value)
    ? accept(value)
    : reject('an account name such as www-data, or a numeric id');
}

export function checkBoolean(value: unknown): Checked<boolean> {
  return typeof value === 'boolean' ? accept(value) : reject('true or false');
}

/** `on`/`off`, the command-line spelling of a boolean. */
export function checkOnOff(value: unknown): Checked<boolean> {
  if (value === 'on') return accept(true);
  if (value === 'off') return accept(false);
  return reject('on or off');
}

export function checkOneOf<const T extends string>(choices: readonly T[]): Check<T> {
  const isChoice = (value: unknown): value is T => choices.some((choice) => choice === value);
  return (value) => (isChoice(value) ? accept(value) : reject(choices.join(' or ')));
}

/** A duration in ms; `min: 'positive'` refuses zero (timeouts), `'zero'` allows it (delays). */
export function checkDuration(min: 'zero' | 'positive'): Check<number> {
  return (value) => {
    const ms = typeof value === 'string' ? parseDurationMs(value) : undefined;
    if (ms === undefined) return reject(`a duration ${DURATION_EXAMPLES}`);
    if (min === 'positive' && ms === 0) return reject(`a duration greater than zero, such as 30s`);
    if (ms > MAX_DURATION_MS) return reject('a duration of at most 24d');
    return accept(ms);
  };
}

/** A positive duration, or `off` (null) for no limit at all. */
export function checkDurationOrOff(value: unknown): Checked<number | null> {
  if (value === 'off') return accept(null);
  if (typeof value !== 'string' || parseDurationMs(value) === undefined) {
    return reject(`a duration ${DURATION_EXAMPLES}, or off`);
  }
  return checkDuration('positive')(value);
}

/**
 * One address, or a list of at least `minItems` (the file may give a single string; flags always
 * a list).
 */
export function checkListenList(minItems: number): Check<ListenAddress[]> {
  return (value) => checkListenItems(value, minItems);
}

function checkListenItems(value: unknown, minItems: number): Checked<ListenAddress[]> {
  const items: readonly unknown[] | undefined =
    typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (items === undefined || items.length < minItems) return reject(`a list of ${LISTEN_EXPECTED}`);
  const parsed = items.map((item) =>
    typeof item === 'string' ? parseListenAddress(item) : undefined,
  );
  const rejections = parsed.flatMap((address, index) =>
    address === undefined
      ? [{ path: Array.isArray(value) ? [index] : [], expected: LISTEN_EXPECTED }]
      : [],
  );
  const addresses = parsed.filter((address) => address !== undefined);
  return rejections.length === 0 ? accept(addresses) : { ok: false, rejections };
}

export function checkAccessLog(baseDir: string): Check<AccessLog> {
  return (value) => {
    if (value === 'off') return accept({ kind: 'off' });
    if (value === '-') return accept({ kind: 'stdout' });
    const path = checkPath(baseDir)(value);
    return path.ok
      ? accept({ kind: 'file', path: path.value })
      : reject('a file path, - for stdout, or off');
  };
}

/** `refuse`, `503` (a TOML integer is fine too) or `redirect=URL` with an absolute http(s) URL. */
export function checkDrainNew(value: unknown): Checked<DrainNew> {
  if (value === 'refuse') return accept({ kind: 'refuse' });
  if (value === '503' || value === 503) return accept({ kind: 'status503' });
  const url =
    typeof value === 'string' && value.startsWith(REDIRECT_PREFIX)
      ? parseHttpUrl(value.slice(REDIRECT_PREFIX.length))
      : undefined;
  return url === undefined
    ? reject('refuse, 503 or redirect=URL with an absolute http:// or https:// URL')
    : accept({ kind: 'redirect', url });
}

const AUTO_PREFIX = 'auto';

/** `auto`, `auto=N` (N failed checks, 1–10) or a duration (`0s` = no delay). */
export function checkDrainDelay(value: unknown): Checked<DrainDelay> {
  const expected = `auto, auto=N (checks, 1–${MAX_AUTO_DRAIN_ANSWERS}) or a duration ${DURATION_EXAMPLES}`;
  if (value === AUTO_PREFIX) return accept({ kind: 'auto', answers: AUTO_DRAIN_ANSWERS });
  if (typeof value === 'string' && value.startsWith(`${AUTO_PREFIX}=`)) {
    const text = value.slice(AUTO_PREFIX.length + 1);
    const answers = /^\d{1,2}$/.test(text) ? Number(text) : NaN;
    return answers >= 1 && answers <= MAX_AUTO_DRAIN_ANSWERS
      ? accept({ kind: 'auto', answers })
      : reject(expected);
  }
  if (typeof value !== 'string' || parseDurationMs(value) === undefined) return reject(expected);
  const ms = checkDuration('zero')(value);
  return ms.ok ? accept({ kind: 'fixed', ms: ms.value }) : ms;
}

/** Peers in the URLs sent (Link, metalinks): so many that a response head stays small. */
export const MAX_PEERS = 16;
const PEER_EXPECTED = 'an absolute http:// or https:// base URL without query or fragment';

/**
 * Peer mirrors' base URLs (a file may give one string; flags give a list), normalised as the
 * WHATWG URL parser writes them (percent-encoded, so safe in a header) without a trailing slash.
 */
export function checkPeerList(value: unknown): Checked<string[]> {
  const items: readonly unknown[] | undefined =
    typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (items === undefined) return reject(`a list of ${PEER_EXPECTED}`);
  if (items.length > MAX_PEERS) return reject(`at most ${MAX_PEERS} peers`);
  const parsed = items.map((item) => (typeof item === 'string' ? parsePeerUrl(item) : undefined));
  const rejections = parsed.flatMap((url, index) =>
    url === undefined
      ? [{ path: Array.isArray(value) ? [index] : [], expected: PEER_EXPECTED }]
      : [],
  );
  const urls = parsed.filter((url) => url !== undefined);
  return rejections.length === 0 ? accept(urls) : { ok: false, rejections };
}

function parsePeerUrl(text: string): string | undefined {
  const href = parseHttpUrl(text);
  if (href === undefined || text.includes('?') || text.includes('#')) return undefined;
  return href.replace(/\/+$/, '');
}

function parseHttpUrl(text: string): string | undefined {
  if (!URL.canParse(text)) return undefined;
  const url = new URL(text);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
}

/** `unix:PATH` (resolved against `baseDir`), `HOST:PORT`, `[IPV6]:PORT`, or `off` (null). */
export function checkAdmin(baseDir: string): Check<AdminAddress | null> {
  return (value) => {
    const address = typeof value === 'string' ? parseAdminAddress(value) : undefined;
    if (address === undefined) return reject('unix:PATH, HOST:PORT, [IPV6]:PORT or off');
    if (address === 'off') return accept(null);
    return accept(
      address.kind === 'unix' ? { kind: 'unix', path: resolve(baseDir, address.path) } : address,
    );
  };
}

/** A whole number of at least `min` as text (flags) or a TOML integer, or `off` (null). */
export function checkCountOrOff(min: number): Check<number | null> {
  return (value) => {
    if (value === 'off') return accept(null);
    const count = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
    return typeof count === 'number' && Number.isSafeInteger(count) && count >= min
      ? accept(count)
      : reject(`a whole number of at least ${min}, or off`);
  };
}

/** An IPv6 prefix length that groups clients: 1–128 bits. */
export function checkPrefixBits(value: unknown): Checked<number> {
  const bits = typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : value;
  return typeof bits === 'number' && Number.isInteger(bits) && bits >= 1 && bits <= 128
    ? accept(bits)
    : reject('a prefix length from 1 to 128, such as 64');
}

/** Below this a limit would make a download crawl (and tokens would be handed out byte by byte). */
export const MIN_RATE_BYTES_PER_SEC = 1024;

/** A transfer rate in bytes per second (`500KB/s`, `2MiB/s`, `125000`), or `off` (null). */
export function checkRateOrOff(value: unknown): Checked<number | null> {
  if (value === 'off') return accept(null);
  const rate =
    typeof value === 'string'
      ? parseBytesPerSecond(value)
      : Number.isSafeInteger(value)
        ? value
        : undefined;
  return typeof rate === 'number' && rate >= MIN_RATE_BYTES_PER_SEC
    ? accept(rate)
    : reject('a rate of at least 1KiB/s such as 500KB/s or 2MiB/s (bytes, not bits), or off');
}
