/**
 * Who polls `/ready`, and how often: what `--drain-delay auto` waits for. A health checker is one
 * client address and User-Agent (not the port: HAProxy and kubelet connect afresh for each check)
 * that has polled at least twice, so a one-off `curl /ready` is not one. Bounded: at most
 * MAX_CHECKERS are kept, the least recently seen dropped first, and each is forgotten
 * FORGET_AFTER_MS after its last poll. Time is handed in, never read: the tests mock nothing.
 */

export interface ReadinessPoll {
  /** The client's address (no port); `unix` for the admin socket. */
  readonly client: string;
  readonly userAgent: string;
  /** What it was answered: 200 (serving) or 503 (draining). */
  readonly ready: boolean;
}

export interface HealthChecker {
  readonly client: string;
  readonly userAgent: string;
  readonly polls: number;
  readonly lastSeenMs: number;
  /** Time between its last two polls; null after one poll. */
  readonly intervalMs: number | null;
  /** How many times it has been answered 503. */
  readonly notReadyAnswers: number;
}

export const MAX_CHECKERS = 64;
export const FORGET_AFTER_MS = 60_000;
/** A longer User-Agent is kept cut to this: it is shown, not parsed. */
export const MAX_USER_AGENT_CHARS = 100;

/** Told of each poll, with the checker as it now stands. */
type Listener = (checker: HealthChecker) => void;

export class HealthCheckers {
  /** Least recently seen first: a poll moves its checker to the end. */
  private readonly byKey = new Map<string, HealthChecker>();
  private readonly listeners = new Set<Listener>();

  /** Records one answered poll, then tells the listeners (the drain settles on it). */
  record(poll: ReadinessPoll, nowMs: number): void {
    this.forgetStale(nowMs);
    const userAgent = poll.userAgent.slice(0, MAX_USER_AGENT_CHARS);
    const key = `${poll.client} ${userAgent}`;
    const seen = this.byKey.get(key);
    const checker: HealthChecker = {
      client: poll.client,
      userAgent,
      polls: (seen?.polls ?? 0) + 1,
      lastSeenMs: nowMs,
      intervalMs: seen === undefined ? null : Math.max(0, nowMs - seen.lastSeenMs),
      notReadyAnswers: (seen?.notReadyAnswers ?? 0) + (poll.ready ? 0 : 1),
    };
    this.byKey.delete(key);
    this.byKey.set(key, checker);
    if (this.byKey.size > MAX_CHECKERS) this.forgetOldest();
    for (const listener of this.listeners) listener(checker);
  }

  /** Checkers that polled at least twice, the last time within FORGET_AFTER_MS. */
  active(nowMs: number): HealthChecker[] {
    return [...this.byKey.values()].filter(
      (c) => c.polls >= 2 && c.intervalMs !== null && nowMs - c.lastSeenMs < FORGET_AFTER_MS,
    );
  }

  /** Calls `listener` after every recorded poll; returns the unsubscribe function. */
  onPoll(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private forgetStale(nowMs: number): void {
    for (const [key, checker] of this.byKey) {
      if (nowMs - checker.lastSeenMs < FORGET_AFTER_MS) return;
      this.byKey.delete(key);
    }
  }

  private forgetOldest(): void {
    const oldest = this.byKey.keys().next();
    if (oldest.done !== true) this.byKey.delete(oldest.value);
  }
}
