/**
 * How long a drain keeps serving before it closes the listeners (`--drain-delay`), decided from
 * the setting and the health checkers seen: a fixed time, or `auto`, until every checker has
 * been answered 503 often enough to take this node out of its pool. Pure.
 */
import type { DrainDelay } from '../config/values.js';
import type { HealthChecker } from './health-checkers.js';

/** An `auto` delay never outlasts this, whatever the checkers' intervals. */
export const MAX_AUTO_DELAY_MS = 60_000;

export type DelayPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'fixed'; readonly ms: number }
  | {
      readonly kind: 'auto';
      /** The bound: the listeners close then even if a checker has not seen enough 503s. */
      readonly ms: number;
      readonly waitingFor: number;
      readonly answersNeeded: number;
    };

const NONE: DelayPlan = { kind: 'none' };

/** The checkers not yet answered 503 `answersNeeded` times. */
export function checkersWaiting(
  checkers: readonly HealthChecker[],
  answersNeeded: number,
): HealthChecker[] {
  return checkers.filter((checker) => checker.notReadyAnswers < answersNeeded);
}

export function planDrainDelay(delay: DrainDelay, checkers: readonly HealthChecker[]): DelayPlan {
  if (delay.kind === 'fixed') return delay.ms === 0 ? NONE : { kind: 'fixed', ms: delay.ms };
  const waiting = checkersWaiting(checkers, delay.answers);
  const longestMs = Math.max(0, ...waiting.map((checker) => checker.intervalMs ?? 0));
  if (waiting.length === 0 || longestMs === 0) return NONE;
  // One interval more than the answers needed: a check may be in flight at the signal, and
  // checkers jitter (HAProxy's spread-checks).
  const ms = Math.min(MAX_AUTO_DELAY_MS, (delay.answers + 1) * longestMs);
  return { kind: 'auto', ms, waitingFor: waiting.length, answersNeeded: delay.answers };
}
