/** The server's lifecycle as data: serving → draining → exited, or stopping (immediate). */

export type StopTrigger = 'SIGINT' | 'SIGQUIT' | 'SIGTERM' | 'admin' | 'startup-failure';

export type LifecycleState =
  | { readonly kind: 'serving'; readonly sinceMs: number }
  | {
      readonly kind: 'draining';
      readonly sinceMs: number;
      readonly trigger: StopTrigger;
      /** Until then the listeners keep serving normally (`--drain-delay`); /ready is 503. */
      readonly delayUntilMs: number | null;
      /** When whatever remains is cut; null waits as long as downloads progress. */
      readonly deadlineMs: number | null;
    }
  | { readonly kind: 'stopping'; readonly sinceMs: number; readonly trigger: StopTrigger };

export type DrainNewPolicy =
  | { readonly kind: 'refuse' }
  | { readonly kind: 'status503' }
  | { readonly kind: 'redirect'; readonly url: string };

export interface DrainSettings {
  readonly drainTimeoutMs: number | null;
  readonly drainDelayMs: number;
  readonly drainNew: DrainNewPolicy;
  readonly lastRequestWindowMs: number;
}

export interface CutDownload {
  readonly client: string;
  readonly path: string;
  readonly bytesSent: number;
  readonly bytesDue: number;
  readonly reason: string;
}

export interface DrainSummary {
  readonly trigger: StopTrigger;
  readonly durationMs: number;
  readonly completed: { readonly count: number; readonly bytes: number };
  readonly cut: readonly CutDownload[];
  readonly exitStatus: number;
}

/** Exit statuses of `ebb serve` (also shown in --help). */
export const SERVE_EXIT = {
  DRAINED: 0,
  FAILED: 1,
  CUT: 3,
} as const;

/**
 * Where a drain's deadline falls: the earlier of the configured drain timeout and one asked
 * for with this drain request (`ebb stop --timeout`).
 */
export function drainDeadline(
  nowMs: number,
  configuredMs: number | null,
  requestedMs: number | null,
  current: number | null,
): number | null {
  const candidates = [current, configuredMs === null ? null : nowMs + configuredMs]
    .concat(requestedMs === null ? [] : [nowMs + requestedMs])
    .filter((v): v is number => v !== null);
  return candidates.length === 0 ? null : Math.min(...candidates);
}

/** Whether the summary's cuts make the drain a cut one (stalled-client timeouts do not). */
export function drainExitStatus(cut: readonly CutDownload[]): number {
  return cut.some((c) => c.reason === 'deadline' || c.reason === 'stopped')
    ? SERVE_EXIT.CUT
    : SERVE_EXIT.DRAINED;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
