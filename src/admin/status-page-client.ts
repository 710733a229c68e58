/**
 * The status page's script, run in the browser. `status-page.ts` inlines the compiled file into
 * the page, so it imports types only. Everything that came from a client (paths, addresses) is
 * set with `textContent`, never parsed as HTML.
 */
import type { ConnectionRow, StatusSnapshot } from '../lifecycle/status.js';
import type { DrainSummary } from '../lifecycle/state.js';
import type { LimitsStatus } from '../limits/limits-status.js';
import type { FeedStatus, ThroughputPoint } from './snapshot-feed.js';

export {};

const CHART_WINDOW_MS = 5 * 60 * 1000;
const CHART_WIDTH = 600;
const CHART_HEIGHT = 80;
const PROBE_INTERVAL_MS = 5000;
/** Cut downloads listed after the server exits; the rest are counted. */
const CUTS_SHOWN = 50;
/** Warnings shown at once (the server keeps its own bounded list). */
const WARNINGS_SHOWN = 10;

type SortKey = 'client' | 'path' | 'state' | 'progress' | 'bytes' | 'rate' | 'eta';
interface Sort {
  readonly key: SortKey;
  readonly descending: boolean;
}

let history: ThroughputPoint[] = [];
let latest: StatusSnapshot | null = null;
/** null: the server's order (slowest first). */
let sort: Sort | null = null;
let gone = false;

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found;
}

function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className !== undefined) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- figures ---------------------------------------------------------------------------------
// The same units as the CLI's (`cli/format.ts`): restated, as an inlined page script cannot
// import the server's modules.

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit] ?? ''}`;
}

function formatRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

function formatClock(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour12: false });
}

/** The request target as the file name it asks for (`%20` shown as a space); raw if malformed. */
function displayPath(target: string): string {
  try {
    return decodeURIComponent(target);
  } catch {
    return target;
  }
}

function isInFlight(row: ConnectionRow): boolean {
  return row.state === 'responding' || row.state === 'delivering';
}

function percentOf(row: ConnectionRow): number | null {
  if (!isInFlight(row) || row.bytesDue === 0) return null;
  return Math.min(100, (row.bytesAcked / row.bytesDue) * 100);
}

// ---- header, banner, totals ------------------------------------------------------------------

function renderState(status: StatusSnapshot): void {
  const pill = element('state');
  pill.className = `pill ${status.state}`;
  const ago = (Date.parse(status.now) - Date.parse(status.since)) / 1000;
  pill.textContent =
    status.state === 'serving'
      ? 'serving'
      : `${status.state} since ${formatClock(status.since)} (${formatSeconds(ago)} ago)`;
  element('deadline').textContent =
    status.deadline === null
      ? ''
      : `deadline ${formatClock(status.deadline)} (in ${formatSeconds(deadlineLeftSeconds(status))})`;
  element('meta').textContent =
    `ebb ${status.version} · pid ${status.pid} · ${status.listeners.join(', ')}`;
}

/** Seconds from the snapshot's time to its drain deadline; null without one. */
function deadlineLeftSeconds(status: StatusSnapshot): number | null {
  if (status.deadline === null) return null;
  return Math.max(0, (Date.parse(status.deadline) - Date.parse(status.now)) / 1000);
}

/** What the deadline means for the downloads shown: how many would still be running then. */
function describeDeadline(status: StatusSnapshot): string {
  const leftSeconds = deadlineLeftSeconds(status);
  if (status.deadline === null || leftSeconds === null) return '';
  const late = status.connections.filter(
    (row) => isInFlight(row) && row.etaSeconds !== null && row.etaSeconds > leftSeconds,
  ).length;
  const verdict =
    late > 0
      ? `at current rates ${late} download${late === 1 ? '' : 's'} would not finish by then.`
      : status.forecast.lastCompletionAt === null
        ? ''
        : 'at current rates every download finishes before it.';
  return (
    `Deadline ${formatClock(status.deadline)} (in ${formatSeconds(leftSeconds)}): ` +
    `whatever remains then is cut${verdict === '' ? '.' : `; ${verdict}`}`
  );
}

function renderBanner(status: StatusSnapshot): void {
  const banner = element('banner');
  if (status.state === 'serving') {
    banner.hidden = true;
    return;
  }
  const c = status.counters;
  const f = status.forecast;
  const parts = [
    `${status.state === 'draining' ? 'Draining' : 'Stopping'}: ${c.connections} connections open, ` +
      `${c.downloadsInFlight} downloads with ${formatBytes(c.bytesLeft)} left.`,
  ];
  if (f.lastCompletionAt === null) {
    parts.push('No download left.');
  } else if (f.unknown >= c.downloadsInFlight) {
    // Every rate is still being measured: the server's forecast is then just "now".
    parts.push(`No forecast yet: ${f.unknown} with no measurable rate yet.`);
  } else {
    parts.push(
      `Last completion forecast at ${formatClock(f.lastCompletionAt)} (in ${formatSeconds(f.secondsLeft)})` +
        (f.unknown > 0 ? `, ${f.unknown} with no measurable rate yet.` : '.'),
    );
  }
  if (status.deadline !== null) parts.push(describeDeadline(status));
  banner.textContent = parts.join(' ');
  banner.hidden = false;
}

interface StatusWarning {
  readonly code: string;
  readonly message: string;
  readonly count: number;
  readonly firstAtMs: number;
  readonly lastAtMs: number;
}

function isWarning(value: unknown): value is StatusWarning {
  if (typeof value !== 'object' || value === null) return false;
  const w = value as Record<string, unknown>;
  return (
    typeof w['code'] === 'string' &&
    typeof w['message'] === 'string' &&
    typeof w['count'] === 'number' &&
    typeof w['firstAtMs'] === 'number' &&
    typeof w['lastAtMs'] === 'number'
  );
}

/** The snapshot's `warnings` (a newer server's field): absent, empty or malformed → none. */
function warningsOf(status: StatusSnapshot): readonly StatusWarning[] {
  const value: unknown = Reflect.get(status, 'warnings');
  return Array.isArray(value) ? value.filter(isWarning) : [];
}

function describeWarning(w: StatusWarning): string {
  const clock = (ms: number): string => formatClock(new Date(ms).toISOString());
  const times =
    w.count === 1
      ? `at ${clock(w.lastAtMs)}`
      : `${w.count.toLocaleString('en')} times, ${clock(w.firstAtMs)} to ${clock(w.lastAtMs)}`;
  return `${w.message} (${w.code}, ${times})`;
}

/** One line per warning, as text: a message may quote a path or an address. */
function renderWarnings(status: StatusSnapshot): void {
  const box = element('warnings');
  const warnings = warningsOf(status);
  box.hidden = warnings.length === 0;
  const list = element('warning-list');
  list.replaceChildren(
    ...warnings.slice(0, WARNINGS_SHOWN).map((w) => make('li', undefined, describeWarning(w))),
  );
  if (warnings.length > WARNINGS_SHOWN) {
    list.append(make('li', 'more', `… and ${warnings.length - WARNINGS_SHOWN} more`));
  }
}

function setCard(id: string, text: string): void {
  element(id).textContent = text;
}

function renderTotals(status: StatusSnapshot): void {
  const c = status.counters;
  setCard('uptime', formatSeconds((Date.parse(status.now) - Date.parse(status.startedAt)) / 1000));
  setCard('requests', c.requestsTotal.toLocaleString('en'));
  setCard('served', formatBytes(c.bodyBytesTotal));
  setCard('connections', `${c.connections} (${c.downloadsInFlight} downloading)`);
  const last = history.at(-1);
  setCard('throughput', last === undefined ? '…' : formatRate(last.bytesPerSec));
}

/** Whether any limit is set or has acted: otherwise the limits cards are left out. */
function hasLimits(l: LimitsStatus): boolean {
  const set = [l.maxConnections, l.maxConnectionsPerIp, l.rateTotal, l.ratePerConnection];
  return set.some((value) => value !== null) || l.refusedPerIp + l.refusedTotal > 0;
}

/** `2.0 MB/s`, `off`, or `2.0 MB/s, lifted by the drain` (the rate no longer applies). */
function describeRate(rate: number | null, lifted: boolean): string {
  if (rate === null) return 'off';
  return lifted ? `${formatRate(rate)}, lifted by the drain` : formatRate(rate);
}

/** The caps in use of their maximum, what they refused, the rates in force. */
function renderLimits(status: StatusSnapshot): void {
  const l = status.limits;
  const box = element('limits');
  box.hidden = l === undefined || !hasLimits(l);
  if (l === undefined) return;
  const cap = (open: number, max: number | null): string =>
    max === null ? `off (${open} open)` : `${open} of ${max}`;
  setCard('cap-total', cap(l.connectionsOpen, l.maxConnections));
  setCard('cap-per-ip', cap(l.busiestGroupOpen, l.maxConnectionsPerIp));
  const refused = l.refusedPerIp + l.refusedTotal;
  setCard(
    'cap-refused',
    refused === 0 ? '0' : `${refused} (${l.refusedPerIp} per-IP, ${l.refusedTotal} total)`,
  );
  const waiting = l.waitingForTotal > 0 && !l.lifted ? `, ${l.waitingForTotal} waiting` : '';
  setCard('rate-total', `${describeRate(l.rateTotal, l.lifted)}${waiting}`);
  setCard('rate-per-connection', describeRate(l.ratePerConnection, l.lifted));
}

// ---- throughput chart ------------------------------------------------------------------------

function renderChart(nowMs: number): void {
  const points = history.filter((p) => p.atMs >= nowMs - CHART_WINDOW_MS);
  const max = Math.max(1, ...points.map((p) => p.bytesPerSec));
  const coords = points.map((p) => {
    const x = ((p.atMs - (nowMs - CHART_WINDOW_MS)) / CHART_WINDOW_MS) * CHART_WIDTH;
    const y = CHART_HEIGHT - (p.bytesPerSec / max) * (CHART_HEIGHT - 4);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  element('chart-line').setAttribute('points', coords.join(' '));
  const first = coords[0]?.split(',')[0];
  const lastX = coords.at(-1)?.split(',')[0];
  element('chart-area').setAttribute(
    'points',
    first === undefined || lastX === undefined
      ? ''
      : `${first},${CHART_HEIGHT} ${coords.join(' ')} ${lastX},${CHART_HEIGHT}`,
  );
  element('chart-max').textContent = `peak ${formatRate(points.length > 0 ? max : 0)}`;
}

// ---- connection table ------------------------------------------------------------------------

function sortValue(row: ConnectionRow, key: SortKey): number | string {
  switch (key) {
    case 'client':
      return row.client;
    case 'path':
      return row.path ?? '';
    case 'state':
      return row.state;
    case 'progress':
      return percentOf(row) ?? -1;
    case 'bytes':
      return row.bytesDue;
    case 'rate':
      return isInFlight(row) ? row.rateBytesPerSec : -1;
    case 'eta':
      return row.etaSeconds ?? (isInFlight(row) ? Infinity : -1);
  }
}

function sortedRows(rows: readonly ConnectionRow[]): readonly ConnectionRow[] {
  if (sort === null) return rows;
  const { key, descending } = sort;
  return [...rows].sort((a, b) => {
    const va = sortValue(a, key);
    const vb = sortValue(b, key);
    const order =
      typeof va === 'number' && typeof vb === 'number'
        ? va === vb
          ? 0
          : va < vb
            ? -1
            : 1
        : String(va).localeCompare(String(vb));
    return (descending ? -order : order) || a.id - b.id;
  });
}

function progressCell(row: ConnectionRow): HTMLTableCellElement {
  const cell = make('td', 'progress');
  const percent = percentOf(row);
  const bar = make('div', 'bar');
  const fill = make('div', 'fill');
  fill.style.width = `${percent ?? 0}%`;
  bar.append(fill);
  cell.append(bar, make('span', 'pct', percent === null ? '—' : `${percent.toFixed(1)}%`));
  return cell;
}

/**
 * The method, then the file name cut on the left when it does not fit (the end of a path, the
 * ISO's name, is what tells rows apart); the whole name on hover.
 */
function fileCell(row: ConnectionRow): HTMLTableCellElement {
  const cell = make('td', 'path');
  if (row.path === null) return cell;
  const name = displayPath(row.path);
  cell.title = name;
  const box = make('div', 'file');
  if (row.method !== null) box.append(make('span', 'method', row.method), ' ');
  // `bdi`: the name keeps its own left-to-right order inside the right-to-left box that puts
  // the ellipsis on the left.
  const cut = make('span', 'name');
  cut.append(make('bdi', undefined, name));
  box.append(cut);
  cell.append(box);
  return cell;
}

function renderRow(row: ConnectionRow): HTMLTableRowElement {
  const tr = make('tr');
  tr.dataset['id'] = String(row.id);
  const inFlight = isInFlight(row);
  tr.append(
    make('td', 'client', row.client),
    fileCell(row),
    make('td', `state ${row.state}`, row.state),
    progressCell(row),
    make(
      'td',
      'num bytes',
      inFlight ? `${formatBytes(row.bytesAcked)} of ${formatBytes(row.bytesDue)}` : '',
    ),
    make(
      'td',
      'num rate',
      !inFlight ? '' : row.rateBytesPerSec > 0 ? formatRate(row.rateBytesPerSec) : '—',
    ),
    make('td', 'num eta', inFlight ? formatSeconds(row.etaSeconds) : ''),
  );
  tr.title = row.path === null ? row.client : `${row.client} ${row.method ?? ''} ${row.path}`;
  return tr;
}

function renderTable(status: StatusSnapshot): void {
  const body = element('rows');
  const fragment = document.createDocumentFragment();
  for (const row of sortedRows(status.connections)) fragment.append(renderRow(row));
  body.replaceChildren(fragment);
  element('empty').hidden = status.connections.length > 0;
  const more = element('more');
  more.hidden = status.connectionsOmitted === 0;
  more.textContent = `… and ${status.connectionsOmitted.toLocaleString('en')} more connections not shown (the slowest ${status.connections.length} are).`;
}

function renderSortMarks(): void {
  for (const th of document.querySelectorAll<HTMLElement>('th[data-key]')) {
    const active = sort !== null && th.dataset['key'] === sort.key;
    th.setAttribute(
      'aria-sort',
      !active ? 'none' : sort?.descending === true ? 'descending' : 'ascending',
    );
  }
}

function onHeaderClick(event: Event): void {
  const th = (event.target as HTMLElement).closest<HTMLElement>('th[data-key]');
  const key = th?.dataset['key'] as SortKey | undefined;
  if (key === undefined) return;
  const textual = key === 'client' || key === 'path' || key === 'state';
  sort =
    sort !== null && sort.key === key
      ? { key, descending: !sort.descending }
      : { key, descending: !textual };
  renderSortMarks();
  if (latest !== null) renderTable(latest);
}

function onResetSort(): void {
  sort = null;
  renderSortMarks();
  if (latest !== null) renderTable(latest);
}

// ---- the live link ---------------------------------------------------------------------------

type Link = 'connecting' | 'live' | 'reconnecting' | 'gone';

function setLink(link: Link, detail: readonly Node[] = []): void {
  document.body.dataset['link'] = link;
  const text: Record<Link, string> = {
    connecting: 'connecting…',
    live: 'live',
    reconnecting: 'reconnecting…',
    gone: 'server has exited',
  };
  element('link').textContent = text[link];
  const goneBox = element('gone');
  goneBox.hidden = link !== 'gone';
  if (link === 'gone')
    goneBox.replaceChildren(make('p', undefined, 'The server has exited.'), ...detail);
}

function describeSummary(summary: DrainSummary): Node[] {
  const cuts = summary.cut.length === 0 ? 'none cut' : `${summary.cut.length} cut`;
  const text =
    `Drain finished in ${(summary.durationMs / 1000).toFixed(1)} s: ` +
    `${summary.completed.count} downloads completed (${formatBytes(summary.completed.bytes)}), ` +
    `${cuts}; exit status ${summary.exitStatus}.`;
  const nodes: Node[] = [make('p', undefined, text)];
  if (summary.cut.length === 0) return nodes;
  const list = make('ul', 'cuts');
  for (const cut of summary.cut.slice(0, CUTS_SHOWN)) {
    list.append(
      make(
        'li',
        undefined,
        `cut (${cut.reason}): ${cut.client} ${displayPath(cut.path)}, ` +
          `${formatBytes(cut.bytesSent)} of ${formatBytes(cut.bytesDue)}`,
      ),
    );
  }
  if (summary.cut.length > CUTS_SHOWN) {
    list.append(make('li', 'more', `… and ${summary.cut.length - CUTS_SHOWN} more`));
  }
  nodes.push(list);
  return nodes;
}

/** Nothing is known to be connected once the server is gone: no stale rows, no stale rates. */
function clearLiveFigures(): void {
  latest = null;
  element('rows').replaceChildren();
  element('empty').hidden = false;
  element('more').hidden = true;
  element('warnings').hidden = true;
  element('limits').hidden = true;
  setCard('connections', '0');
  setCard('throughput', '—');
}

function onStatus(data: FeedStatus): void {
  const status = data.status;
  latest = status;
  if (data.throughput !== null) history.push(data.throughput);
  const nowMs = Date.parse(status.now);
  history = history.filter((p) => p.atMs >= nowMs - CHART_WINDOW_MS);
  setLink('live');
  renderState(status);
  renderBanner(status);
  renderWarnings(status);
  renderTotals(status);
  renderLimits(status);
  renderChart(nowMs);
  renderTable(status);
}

function markGone(detail: readonly Node[]): void {
  gone = true;
  element('banner').hidden = true;
  const pill = element('state');
  pill.className = 'pill exited';
  pill.textContent = 'exited';
  element('deadline').textContent = '';
  clearLiveFigures();
  setLink('gone', detail);
}

/** After the stream failed: a server that still answers is coming back; else it is gone. */
async function probe(source: EventSource): Promise<void> {
  try {
    const response = await fetch('/status?limit=0', { cache: 'no-store' });
    if (!response.ok) throw new Error(String(response.status));
    if (source.readyState === EventSource.CLOSED) window.setTimeout(connect, 2000);
  } catch {
    source.close();
    markGone([
      make(
        'p',
        undefined,
        'Its admin listener no longer answers; this page will reconnect if it comes back.',
      ),
    ]);
    window.setTimeout(() => void watchForReturn(), PROBE_INTERVAL_MS);
  }
}

/** A server started again on the same admin address is picked up without a reload. */
async function watchForReturn(): Promise<void> {
  try {
    const response = await fetch('/status?limit=0', { cache: 'no-store' });
    if (response.ok) {
      gone = false;
      connect();
      return;
    }
  } catch {
    // still gone
  }
  window.setTimeout(() => void watchForReturn(), PROBE_INTERVAL_MS);
}

function connect(): void {
  setLink(latest === null ? 'connecting' : 'reconnecting');
  const source = new EventSource('/events');
  source.addEventListener('open', () => setLink('live'));
  source.addEventListener('history', (event: MessageEvent<string>) => {
    history = JSON.parse(event.data) as ThroughputPoint[];
  });
  source.addEventListener('status', (event: MessageEvent<string>) => {
    onStatus(JSON.parse(event.data) as FeedStatus);
  });
  source.addEventListener('finished', (event: MessageEvent<string>) => {
    source.close();
    markGone(describeSummary(JSON.parse(event.data) as DrainSummary));
    window.setTimeout(() => void watchForReturn(), PROBE_INTERVAL_MS);
  });
  source.addEventListener('error', () => {
    if (gone) return;
    setLink('reconnecting');
    void probe(source);
  });
}

element('head-row').addEventListener('click', onHeaderClick);
element('reset-sort').addEventListener('click', onResetSort);
renderSortMarks();
connect();
