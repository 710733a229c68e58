/**
 * What the admin API sends, as the CLI takes it in: every JSON string neutralised once, at parse
 * time (`printable`), so no text from the server can drive the terminal whatever prints it; and
 * the shapes the renderers read checked before they read them, so a stray or hostile listener on
 * the admin address gets a clear error, not a TypeError.
 */
import type { ConnectionRow, StatusSnapshot } from '../lifecycle/status.js';
import type { DrainSummary } from '../lifecycle/state.js';
import { printable } from './format.js';

/** `JSON.parse` with every string neutralised; undefined if the text is not JSON. */
export function parseServerJson(text: string): unknown {
  try {
    return JSON.parse(text, (_key, value: unknown) =>
      typeof value === 'string' ? printable(value) : value,
    ) as unknown;
  } catch {
    return undefined;
  }
}

type Kind = 'string' | 'number' | 'string|null' | 'number|null';

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function matches(value: unknown, kind: Kind): boolean {
  if (value === null) return kind.endsWith('|null');
  return typeof value === (kind.startsWith('string') ? 'string' : 'number');
}

function hasFields(value: unknown, fields: Readonly<Record<string, Kind>>): boolean {
  return (
    isObject(value) && Object.entries(fields).every(([key, kind]) => matches(value[key], kind))
  );
}

const ROW_FIELDS = {
  id: 'number',
  client: 'string',
  state: 'string',
  path: 'string|null',
  bytesAcked: 'number',
  bytesDue: 'number',
  rateBytesPerSec: 'number',
  etaSeconds: 'number|null',
} as const;

export function isConnectionRow(value: unknown): value is ConnectionRow {
  return hasFields(value, ROW_FIELDS);
}

/** The fields `ebb status`, `ebb top` and `ebb stop`'s progress line read. */
export function isStatusSnapshot(value: unknown): value is StatusSnapshot {
  if (!isObject(value)) return false;
  const top = hasFields(value, {
    pid: 'number',
    version: 'string',
    now: 'string',
    startedAt: 'string',
    state: 'string',
    since: 'string',
    deadline: 'string|null',
  });
  const counters = hasFields(value.counters, {
    connections: 'number',
    requestsTotal: 'number',
    bodyBytesTotal: 'number',
    downloadsInFlight: 'number',
    bytesLeft: 'number',
  });
  const forecast = hasFields(value.forecast, {
    lastCompletionAt: 'string|null',
    secondsLeft: 'number|null',
    unknown: 'number',
  });
  const slowest = isObject(value.forecast) ? value.forecast.slowest : undefined;
  // Absent from an older server's JSON.
  const delay =
    value.delay === undefined ||
    value.delay === null ||
    hasFields(value.delay, { until: 'string', healthCheckersWaiting: 'number|null' });
  return (
    top &&
    delay &&
    counters &&
    forecast &&
    (slowest === null || isConnectionRow(slowest)) &&
    Array.isArray(value.listeners) &&
    value.listeners.every((listener) => typeof listener === 'string') &&
    Array.isArray(value.connections) &&
    value.connections.every(isConnectionRow)
  );
}

/** The fields the summary of `ebb stop` and `ebb top` read. */
export function isDrainSummary(value: unknown): value is DrainSummary {
  if (!hasFields(value, { durationMs: 'number', exitStatus: 'number' }) || !isObject(value)) {
    return false;
  }
  const cutFields = {
    client: 'string',
    path: 'string',
    reason: 'string',
    bytesSent: 'number',
    bytesDue: 'number',
  } as const;
  return (
    hasFields(value.completed, { count: 'number', bytes: 'number' }) &&
    Array.isArray(value.cut) &&
    value.cut.every((cut) => hasFields(cut, cutFields))
  );
}
