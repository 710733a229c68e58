/** One frame of `ebb top`, as exactly `rows` lines no wider than `columns`: a pure function. */
import type { StatusSnapshot } from '../lifecycle/status.js';
import {
  forecastLine,
  orderRows,
  stateLine,
  tableHeader,
  tableRow,
  totalsLine,
  type RowOrder,
} from './status-view.js';

export interface TopView {
  /** The admin address shown in the title. */
  readonly where: string;
  readonly status: StatusSnapshot | null;
  readonly throughputBytesPerSec: number | undefined;
  readonly order: RowOrder;
}

const INVERSE = '\x1b[7m';
const RESET = '\x1b[0m';
/** Title, totals, drain line, blank, header; the key line at the bottom. */
const CHROME_LINES = 6;

function clip(line: string, columns: number): string {
  return line.length <= columns ? line : line.slice(0, columns);
}

export function renderTopScreen(view: TopView, columns: number, rows: number): string[] {
  const width = Math.max(40, columns);
  const status = view.status;
  const lines: string[] = [
    `ebb top · ${view.where} · ${status === null ? 'connecting…' : stateLine(status)}`,
    status === null ? '' : totalsLine(status, view.throughputBytesPerSec),
    status === null ? '' : (forecastLine(status) ?? ''),
    '',
  ];
  const bodyRows = Math.max(0, rows - CHROME_LINES);
  const ordered = status === null ? [] : orderRows(status.connections, view.order);
  const shown = ordered.slice(0, bodyRows);
  lines.push(`${INVERSE}${clip(tableHeader(width), columns).padEnd(columns)}${RESET}`);
  for (const row of shown) lines.push(clip(tableRow(row, width), columns));
  while (lines.length < rows - 1) lines.push('');
  const hidden = status === null ? 0 : status.counters.connections - shown.length;
  const order = view.order === 'eta' ? 'ETA (slowest first)' : 'rate (fastest first)';
  const other = view.order === 'eta' ? 'rate' : 'ETA';
  const more = hidden > 0 ? ` · ${hidden} more not shown` : '';
  lines.push(clip(`sorted by ${order} · s: sort by ${other} · q: quit${more}`, columns));
  return lines
    .slice(0, rows)
    .map((line) => (line.startsWith(INVERSE) ? line : clip(line, columns)));
}
