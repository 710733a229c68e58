/**
 * A status snapshot as terminal lines, for `ebb status` and `ebb top`: pure functions of the
 * snapshot and a width. Client-supplied text (paths) is stripped of control characters so a
 * request target cannot drive the operator's terminal.
 */
import type { ConnectionRow, StatusSnapshot } from '../lifecycle/status.js';
import { formatBytes, formatSeconds, printable } from './format.js';

export type RowOrder = 'eta' | 'rate';

/** The request target as the file name it asks for (`%20` shown as a space); raw if malformed. */
export function displayPath(target: string): string {
  try {
    return decodeURIComponent(target);
  } catch {
    return target;
  }
}

/** `8.0M`, `512K`, `1.2G`: at most six characters. */
export function compactBytes(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)}${units[unit] ?? ''}`;
}

/** Local wall-clock `HH:MM:SS` of an ISO time. */
export function clockTime(iso: string): string {
  return new Date(iso).toTimeString().slice(0, 8);
}

function fit(text: string, width: number, keepEnd = false): string {
  if (text.length <= width) return text.padEnd(width);
  if (width <= 1) return text.slice(0, width);
  return keepEnd ? `…${text.slice(text.length - width + 1)}` : `${text.slice(0, width - 1)}…`;
}

function isInFlight(row: ConnectionRow): boolean {
  return row.state === 'responding' || row.state === 'delivering';
}

/** In-flight first; then longest ETA (unknown first), or highest rate. */
export function orderRows(rows: readonly ConnectionRow[], order: RowOrder): ConnectionRow[] {
  const key = (row: ConnectionRow): number =>
    order === 'eta' ? (row.etaSeconds ?? Infinity) : row.rateBytesPerSec;
  return [...rows].sort((a, b) => {
    const fa = isInFlight(a) ? 0 : 1;
    const fb = isInFlight(b) ? 0 : 1;
    if (fa !== fb) return fa - fb;
    const ka = key(a);
    const kb = key(b);
    return ka === kb ? a.id - b.id : kb > ka ? 1 : -1;
  });
}

const FIXED = { client: 21, progress: 6, bytes: 13, rate: 8, eta: 6 } as const;
/** Columns of the connection table: everything but the file has a fixed width. */
function fileWidth(width: number): number {
  const fixed = Object.values(FIXED).reduce((sum, w) => sum + w, 0) + 5;
  return Math.max(10, width - fixed);
}

export function tableHeader(width: number): string {
  return [
    fit('CLIENT', FIXED.client),
    fit('FILE', fileWidth(width)),
    'PROG%'.padStart(FIXED.progress),
    'RECVD/TOTAL'.padStart(FIXED.bytes),
    'RATE'.padStart(FIXED.rate),
    'ETA'.padStart(FIXED.eta),
  ].join(' ');
}

export function tableRow(row: ConnectionRow, width: number): string {
  const file = row.path === null ? `(${row.state})` : printable(displayPath(row.path));
  const cells = [fit(row.client, FIXED.client), fit(file, fileWidth(width), true)];
  if (!isInFlight(row)) return [...cells, row.state.padStart(FIXED.progress)].join(' ').trimEnd();
  const percent = row.bytesDue === 0 ? 100 : (row.bytesAcked / row.bytesDue) * 100;
  return [
    ...cells,
    `${percent.toFixed(1)}%`.padStart(FIXED.progress),
    `${compactBytes(row.bytesAcked)}/${compactBytes(row.bytesDue)}`.padStart(FIXED.bytes),
    `${compactBytes(row.rateBytesPerSec)}/s`.padStart(FIXED.rate),
    formatSeconds(row.etaSeconds).padStart(FIXED.eta),
  ].join(' ');
}

/**
 * A drain still serving for `--drain-delay`: `waiting for 2 health checkers (at most 8s more)`
 * or `listeners close in 3s`; null when the listeners are closed (or never delayed).
 */
export function delayText(status: StatusSnapshot): string | null {
  const delay = status.delay;
  if (delay === undefined || delay === null) return null;
  const leftSeconds = Math.max(0, (Date.parse(delay.until) - Date.parse(status.now)) / 1000);
  const waiting = delay.healthCheckersWaiting;
  if (waiting === null) return `listeners close in ${formatSeconds(leftSeconds)}`;
  const checkers = waiting === 1 ? '1 health checker' : `${waiting} health checkers`;
  return `waiting for ${checkers} to see 503 (at most ${formatSeconds(leftSeconds)} more)`;
}

/** `serving` or `draining since 12:00:01 (2m05s ago), deadline 12:30:00`. */
export function stateLine(status: StatusSnapshot): string {
  if (status.state === 'serving') return 'serving';
  const ago = (Date.parse(status.now) - Date.parse(status.since)) / 1000;
  const deadline = status.deadline === null ? '' : `, deadline ${clockTime(status.deadline)}`;
  const delay = delayText(status);
  return (
    `${status.state} since ${clockTime(status.since)} (${formatSeconds(ago)} ago)${deadline}` +
    (delay === null ? '' : `, ${delay}`)
  );
}

export function totalsLine(status: StatusSnapshot, throughputBytesPerSec?: number): string {
  const c = status.counters;
  const up = (Date.parse(status.now) - Date.parse(status.startedAt)) / 1000;
  // Most telling first: a narrow terminal cuts the end.
  const parts = [`up ${formatSeconds(up)}`];
  if (throughputBytesPerSec !== undefined) parts.push(`${formatBytes(throughputBytesPerSec)}/s`);
  parts.push(
    `${c.connections} conns, ${c.downloadsInFlight} downloading`,
    `${c.requestsTotal} reqs`,
    `${formatBytes(c.bodyBytesTotal)} served`,
  );
  return parts.join(' · ');
}

/** What is left and when it should be over; null when nothing is in flight. */
export function forecastLine(status: StatusSnapshot): string | null {
  const f = status.forecast;
  const c = status.counters;
  if (c.downloadsInFlight === 0 || f.lastCompletionAt === null) return null;
  const label = status.state === 'serving' ? 'in flight' : 'drain';
  const head = `${label}: ${c.downloadsInFlight} downloads, ${formatBytes(c.bytesLeft)} left`;
  // No rate measured yet (the first seconds of every download): no forecast either.
  if (f.unknown >= c.downloadsInFlight) return `${head}, last done ? (no rate yet)`;
  const unknown = f.unknown > 0 ? `, ${f.unknown} with no rate yet` : '';
  return `${head}, last done ${clockTime(f.lastCompletionAt)} (in ${formatSeconds(f.secondsLeft)})${unknown}`;
}

/** The whole of `ebb status`: header lines, then the table of at most `maxRows` rows. */
/** Older ebb processes still draining after upgrades: one line each. */
export function generationLines(status: StatusSnapshot): string[] {
  return (status.olderGenerations ?? []).map(
    (g) =>
      `older ebb (pid ${g.pid}): ${printable(g.state)}, ${g.connections} conns, ` +
      `${g.downloadsInFlight} downloading, ${formatBytes(g.bytesLeft)} left`,
  );
}

export function statusReport(status: StatusSnapshot, width: number, maxRows: number): string[] {
  const lines = [
    `ebb ${status.version} (pid ${status.pid}) on ${status.listeners.join(', ')}: ${stateLine(status)}`,
    totalsLine(status),
  ];
  const forecast = forecastLine(status);
  if (forecast !== null) lines.push(forecast);
  lines.push(...generationLines(status));
  lines.push('');
  if (status.connections.length === 0) return [...lines, 'no connections'];
  const rows = orderRows(status.connections, 'eta').slice(0, maxRows);
  lines.push(tableHeader(width), ...rows.map((row) => tableRow(row, width)));
  const more = status.counters.connections - rows.length;
  if (more > 0) lines.push(`… and ${more} more connections (--limit N, or --json for all)`);
  return lines;
}
