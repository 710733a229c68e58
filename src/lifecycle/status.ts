/**
 * The status snapshot: what `/status`, the status page, `ebb status`, `ebb top` and `ebb stop`
 * show. Plain JSON-ready data, built in one pass over the registry.
 */
import type { ConnectionPhase } from '../http/types.js';
import type { ConnectionEntry, Registry } from './registry.js';
import type { LifecycleState } from './state.js';
import type { GenerationRow } from './handover-protocol.js';
import type { Warning } from './warnings.js';
import type { LimitsStatus } from '../limits/limits-status.js';
import type { HealthChecker } from './health-checkers.js';

export interface ConnectionRow {
  readonly id: number;
  readonly client: string;
  readonly state: Exclude<ConnectionPhase, 'closed'>;
  readonly method: string | null;
  readonly path: string | null;
  readonly range: string | null;
  readonly status: number | null;
  readonly bytesSent: number;
  readonly bytesAcked: number;
  readonly bytesDue: number;
  readonly bytesLeft: number;
  readonly startedAt: string | null;
  readonly rateBytesPerSec: number;
  /** Seconds until the client has every byte at its current rate; null if unknown. */
  readonly etaSeconds: number | null;
}

export interface StatusSnapshot {
  readonly pid: number;
  readonly version: string;
  readonly now: string;
  readonly startedAt: string;
  readonly state: LifecycleState['kind'];
  readonly since: string;
  readonly deadline: string | null;
  readonly listeners: readonly string[];
  readonly counters: {
    readonly connections: number;
    readonly byState: Readonly<Record<Exclude<ConnectionPhase, 'closed'>, number>>;
    readonly acceptedTotal: number;
    readonly requestsTotal: number;
    readonly bodyBytesTotal: number;
    readonly downloadsInFlight: number;
    readonly bytesLeft: number;
  };
  readonly forecast: {
    /** When the last in-flight download should finish at current rates. */
    readonly lastCompletionAt: string | null;
    readonly secondsLeft: number | null;
    readonly slowest: ConnectionRow | null;
    /** In-flight downloads with no measurable rate (stalled or just started). */
    readonly unknown: number;
  };
  /** Rows of in-flight downloads first, slowest (longest ETA) first; capped by `limit`. */
  readonly connections: readonly ConnectionRow[];
  readonly connectionsOmitted: number;
  /** Older ebb processes still draining after upgrades (issue 11), newest first. */
  readonly olderGenerations?: readonly GenerationRow[];
  /**
   * Faults survived (log disk full, stderr gone, connections refused): one entry per code.
   * Always set by buildStatus; optional for readers of an older server's JSON.
   */
  readonly warnings?: readonly Warning[];
  /** Connection caps and rate limits (optional for readers of an older server's JSON). */
  readonly limits?: LimitsStatus;
  /**
   * A drain still serving for `--drain-delay`: until when, and with `auto` how many health
   * checkers it still waits for (null for a fixed delay). Null otherwise; optional for readers of
   * an older server's JSON.
   */
  readonly delay?: DelayStatus | null;
  /** Who polled /ready at least twice within the last minute (optional, as above). */
  readonly healthCheckers?: readonly HealthCheckerRow[];
}

export interface DelayStatus {
  readonly until: string;
  readonly healthCheckersWaiting: number | null;
  readonly answersNeeded: number | null;
}

export interface HealthCheckerRow {
  readonly client: string;
  readonly userAgent: string;
  readonly intervalMs: number | null;
  readonly lastSeen: string;
  /** How many times it has been answered 503. */
  readonly answered503: number;
}

export interface StatusContext {
  readonly registry: Registry;
  readonly state: LifecycleState;
  readonly startedAtMs: number;
  readonly version: string;
  readonly listeners: readonly string[];
  readonly olderGenerations?: readonly GenerationRow[];
  readonly warnings?: readonly Warning[];
  readonly limits?: LimitsStatus;
  readonly healthCheckers?: readonly HealthChecker[];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isInFlight(entry: ConnectionEntry): boolean {
  return entry.phase === 'responding' || entry.phase === 'delivering';
}

export function toRow(entry: ConnectionEntry): ConnectionRow {
  const started = entry.request !== null;
  const inFlight = isInFlight(entry);
  const bytesLeft = inFlight ? entry.bytesLeft : 0;
  const eta = !inFlight
    ? null
    : bytesLeft === 0
      ? 0
      : entry.rateBytesPerSec > 0
        ? bytesLeft / entry.rateBytesPerSec
        : null;
  return {
    id: entry.id,
    client: entry.client,
    state: entry.phase === 'closed' ? 'delivering' : entry.phase,
    method: started ? (entry.request?.method ?? null) : null,
    path: started ? (entry.request?.target ?? null) : null,
    range: entry.range,
    status: entry.status === 0 ? null : entry.status,
    bytesSent: entry.bytesSent,
    bytesAcked: entry.bytesAcked,
    bytesDue: entry.bytesDue,
    bytesLeft,
    startedAt: started ? entry.requestStartIso : null,
    rateBytesPerSec: Math.round(entry.rateBytesPerSec),
    etaSeconds: eta === null ? null : Math.round(eta * 10) / 10,
  };
}

/** Longest ETA first; unknown ETAs (stalled) before everything. */
export function compareSlowestFirst(a: ConnectionRow, b: ConnectionRow): number {
  const ea = a.etaSeconds ?? Infinity;
  const eb = b.etaSeconds ?? Infinity;
  if (ea !== eb) return eb - ea;
  return a.id - b.id;
}

/**
 * The part of a snapshot read off every connection: its rows and what is summed over them. At
 * 10,000 connections it is the costly part, so the admin views may keep one between looks
 * (src/admin/status-answers.ts).
 */
export interface ConnectionsView {
  readonly connections: readonly ConnectionRow[];
  readonly connectionsOmitted: number;
  readonly downloadsInFlight: number;
  readonly bytesLeft: number;
  readonly forecast: StatusSnapshot['forecast'];
}

export function viewConnections(
  registry: Registry,
  limit = Infinity,
  nowMs = Date.now(),
): ConnectionsView {
  const rows: ConnectionRow[] = [];
  let downloadsInFlight = 0;
  let bytesLeft = 0;
  let unknown = 0;
  let maxEta = 0;
  let slowest: ConnectionRow | null = null;
  for (const entry of registry) {
    if (entry.phase === 'closed') continue;
    const row = toRow(entry);
    rows.push(row);
    if (!isInFlight(entry)) continue;
    downloadsInFlight++;
    bytesLeft += row.bytesLeft;
    if (row.etaSeconds === null) unknown++;
    else if (row.etaSeconds >= maxEta) maxEta = row.etaSeconds;
    if (slowest === null || compareSlowestFirst(row, slowest) < 0) slowest = row;
  }
  rows.sort((a, b) => {
    const fa = a.state === 'responding' || a.state === 'delivering' ? 0 : 1;
    const fb = b.state === 'responding' || b.state === 'delivering' ? 0 : 1;
    return fa !== fb ? fa - fb : compareSlowestFirst(a, b);
  });
  const kept = rows.length > limit ? rows.slice(0, limit) : rows;
  return {
    connections: kept,
    connectionsOmitted: rows.length - kept.length,
    downloadsInFlight,
    bytesLeft,
    forecast: {
      lastCompletionAt: downloadsInFlight === 0 ? null : iso(nowMs + maxEta * 1000),
      secondsLeft: downloadsInFlight === 0 ? null : maxEta,
      slowest,
      unknown,
    },
  };
}

export function buildStatus(
  ctx: StatusContext,
  limit = Infinity,
  nowMs = Date.now(),
  view: ConnectionsView = viewConnections(ctx.registry, limit, nowMs),
): StatusSnapshot {
  const counts = ctx.registry.phaseCounts;
  const state = ctx.state;
  return {
    pid: process.pid,
    version: ctx.version,
    now: iso(nowMs),
    startedAt: iso(ctx.startedAtMs),
    state: state.kind,
    since: iso(state.sinceMs),
    deadline: state.kind === 'draining' && state.deadlineMs !== null ? iso(state.deadlineMs) : null,
    listeners: ctx.listeners,
    counters: {
      connections: ctx.registry.size,
      byState: {
        reading: counts.reading,
        idle: counts.idle,
        responding: counts.responding,
        delivering: counts.delivering,
      },
      acceptedTotal: ctx.registry.acceptedTotal,
      requestsTotal: ctx.registry.requestsTotal,
      bodyBytesTotal: ctx.registry.bodyBytesTotal,
      downloadsInFlight: view.downloadsInFlight,
      bytesLeft: view.bytesLeft,
    },
    forecast: view.forecast,
    connections: view.connections,
    connectionsOmitted: view.connectionsOmitted,
    olderGenerations: ctx.olderGenerations ?? [],
    warnings: ctx.warnings ?? [],
    delay: delayOf(state),
    healthCheckers: (ctx.healthCheckers ?? []).map((checker) => ({
      client: checker.client,
      userAgent: checker.userAgent,
      intervalMs: checker.intervalMs,
      lastSeen: iso(checker.lastSeenMs),
      answered503: checker.notReadyAnswers,
    })),
    ...(ctx.limits === undefined ? {} : { limits: ctx.limits }),
  };
}

function delayOf(state: LifecycleState): DelayStatus | null {
  if (state.kind !== 'draining' || state.delayUntilMs === null) return null;
  return {
    until: iso(state.delayUntilMs),
    healthCheckersWaiting: state.healthCheckers?.waitingFor ?? null,
    answersNeeded: state.healthCheckers?.answersNeeded ?? null,
  };
}
