/**
 * The drain as data (DESIGN.md, "The drain contract"): serving → [delaying →] draining → exit,
 * or stopping (immediate) from any of them. Each state carries what it needs.
 */
import { EXIT_STATUS } from '../errors.js';
import type { DrainDelay } from '../config/values.js';

export type StopTrigger =
  | 'SIGINT'
  | 'SIGQUIT'
  | 'SIGTERM'
  | 'admin'
  | 'startup-failure'
  /** Handed over to a newer ebb (SIGUSR2, `ebb upgrade`). */
  | 'upgrade';

export type ListenersState = 'open' | 'closing' | 'closed';

export type DrainState =
  | { readonly kind: 'serving'; readonly sinceMs: number }
  /** `--drain-delay`: still serving normally until `untilMs`, but /ready says 503. */
  | {
      readonly kind: 'delaying';
      readonly sinceMs: number;
      readonly trigger: StopTrigger;
      /** The end of a fixed delay; with `auto`, its bound. */
      readonly untilMs: number;
      readonly deadlineMs: number | null;
      /** `auto`: the health checkers still to be answered 503 enough; null for a fixed delay. */
      readonly healthCheckers: HealthCheckerWait | null;
    }
  | {
      readonly kind: 'draining';
      readonly sinceMs: number;
      readonly trigger: StopTrigger;
      /** When whatever remains is cut; null waits as long as downloads progress. */
      readonly deadlineMs: number | null;
      /**
       * open: kept open (503/redirect) until the connections open at the drain are gone;
       * closing: taking the connections the kernel completed before they close (accept-queue.ts);
       * closed: every connect from now on is refused. The drain is over only once they are closed.
       */
      readonly listeners: ListenersState;
      /** Connections open when the drain began that are still open (503/redirect only). */
      readonly waitingFor: number;
    }
  | { readonly kind: 'stopping'; readonly sinceMs: number; readonly trigger: StopTrigger };

export interface HealthCheckerWait {
  /** Checkers not yet answered 503 `answersNeeded` times. */
  readonly waitingFor: number;
  readonly answersNeeded: number;
}

/** The state as the admin API, the status snapshot and the metrics show it. */
export type LifecycleState =
  | { readonly kind: 'serving'; readonly sinceMs: number }
  | {
      readonly kind: 'draining';
      readonly sinceMs: number;
      readonly trigger: StopTrigger;
      /** Until then the listeners keep serving normally (`--drain-delay`); /ready is 503. */
      readonly delayUntilMs: number | null;
      /** `--drain-delay auto`: the health checkers the delay still waits for. */
      readonly healthCheckers: HealthCheckerWait | null;
      /** When whatever remains is cut; null waits as long as downloads progress. */
      readonly deadlineMs: number | null;
    }
  | { readonly kind: 'stopping'; readonly sinceMs: number; readonly trigger: StopTrigger };

export function lifecycleView(state: DrainState): LifecycleState {
  switch (state.kind) {
    case 'serving':
    case 'stopping':
      return state;
    case 'delaying':
      return { ...state, kind: 'draining', delayUntilMs: state.untilMs };
    case 'draining':
      return { ...state, delayUntilMs: null, healthCheckers: null };
  }
}

/** Whether the public listeners should be open in this state. */
export function isListening(state: DrainState): boolean {
  switch (state.kind) {
    case 'serving':
    case 'delaying':
      return true;
    case 'draining':
      return state.listeners === 'open';
    case 'stopping':
      return false;
  }
}

/** Whether a connection accepted now is served as usual (not answered and closed at once). */
export function admitsNormally(state: DrainState): boolean {
  return state.kind === 'serving' || state.kind === 'delaying';
}

export type DrainNewPolicy =
  | { readonly kind: 'refuse' }
  | { readonly kind: 'status503' }
  | { readonly kind: 'redirect'; readonly url: string };

export interface DrainSettings {
  readonly drainTimeoutMs: number | null;
  readonly drainDelay: DrainDelay;
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
    ? EXIT_STATUS.DRAIN_CUT
    : EXIT_STATUS.OK;
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
