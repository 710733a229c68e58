/**
 * The report: per figure a row for ebb, nginx, lighttpd and the best Node peer (express or
 * fastify, whichever did better on that figure), each with median, min–max and ratio to nginx's
 * median from the same run, and for ebb the target and PASS/MISS. A padded markdown table.
 */
import { describeTarget, meetsTarget, type Figure, type Target } from './figures.js';
import type { ServerName } from './options.js';
import type { Summary } from './stats.js';
import type { Results } from './results.js';
import { summarize } from './stats.js';

const HEADER = ['figure', 'server', 'median', 'min–max', 'n', 'vs nginx', 'target', 'ebb'];

function format(value: number, decimals: number): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

function targetCells(
  target: Target | undefined,
  ebbMedian: number,
  nginxMedian: number | undefined,
): [string, string] {
  if (target === undefined) return ['', ''];
  const met = meetsTarget(target, ebbMedian, nginxMedian);
  return [describeTarget(target), met === undefined ? '?' : met ? 'PASS' : 'MISS'];
}

const NODE_PEERS: readonly ServerName[] = ['express', 'fastify'];

interface Row {
  readonly server: ServerName;
  /** What the row is called: the server, or "best Node peer: NAME". */
  readonly name: string;
  readonly summary: Summary;
}

/** ebb, nginx, lighttpd as they are; of the Node peers only the best on this figure. */
function rowsOf(figure: Figure, servers: readonly ServerName[], results: Results): Row[] {
  const rows: Row[] = [];
  let bestPeer: Row | undefined;
  for (const server of servers) {
    const summary = summarize(results.samples(figure.id, server));
    if (summary === undefined) continue;
    if (!NODE_PEERS.includes(server)) {
      rows.push({ server, name: server, summary });
      continue;
    }
    const better =
      bestPeer === undefined ||
      (figure.lowerIsBetter === true
        ? summary.median < bestPeer.summary.median
        : summary.median > bestPeer.summary.median);
    if (better) bestPeer = { server, name: `best Node peer: ${server}`, summary };
  }
  if (bestPeer !== undefined) rows.push(bestPeer);
  return rows;
}

function figureRows(
  figure: Figure,
  servers: readonly ServerName[],
  results: Results,
  target: Target | undefined,
): string[][] {
  const nginx = summarize(results.samples(figure.id, 'nginx'))?.median;
  const label = figure.note === undefined ? figure.label : `${figure.label} (${figure.note})`;
  const rows: string[][] = [];
  for (const { server, name, summary } of rowsOf(figure, servers, results)) {
    const ratio =
      nginx === undefined || nginx === 0 ? '' : `${(summary.median / nginx).toFixed(2)}x`;
    const [targetText, verdict] =
      server === 'ebb' ? targetCells(target, summary.median, nginx) : ['', ''];
    rows.push([
      rows.length === 0 ? label : '',
      name,
      format(summary.median, figure.decimals),
      `${format(summary.min, figure.decimals)}–${format(summary.max, figure.decimals)}`,
      String(summary.count),
      ratio,
      targetText,
      verdict,
    ]);
  }
  if (rows.length === 0 && target !== undefined && servers.includes('ebb')) {
    rows.push([label, 'ebb', '–', '', '0', '', describeTarget(target), 'no data']);
  }
  return rows;
}

function renderMarkdown(rows: readonly (readonly string[])[]): string {
  const widths = HEADER.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const [header, ...body] = rows;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(header ?? HEADER), rule, ...body.map(line)].join('\n');
}

export function renderTable(
  figures: readonly Figure[],
  targets: readonly Target[],
  servers: readonly ServerName[],
  results: Results,
): string {
  const rows: string[][] = [HEADER];
  for (const figure of figures) {
    const target = targets.find((candidate) => candidate.figure === figure.id);
    rows.push(...figureRows(figure, servers, results, target));
  }
  return renderMarkdown(rows);
}
