/**
 * The drain state machine (DESIGN.md, "The drain contract"). A request to drain or stop only
 * changes state and arms what must happen; the process ends because the registry emptied, not
 * because anything polled.
 */
import type { ResponseOutcome } from '../http/types.js';
import type { ConnectionEntry, Registry } from './registry.js';
import type { PublicListeners } from './listeners.js';
import {
  drainDeadline,
  drainExitStatus,
  formatBytes,
  type CutDownload,
  type DrainSettings,
  type DrainSummary,
  type LifecycleState,
  type StopTrigger,
} from './state.js';

export interface DrainRequest {
  readonly trigger: StopTrigger;
  /** A deadline for this drain, from now (e.g. `ebb stop --timeout 10m`). */
  readonly timeoutMs?: number | null;
}

const CUT_REASONS: ReadonlySet<ResponseOutcome> = new Set(['timeout', 'deadline', 'stopped']);

export class Lifecycle {
  state: LifecycleState = { kind: 'serving', sinceMs: Date.now() };
  readonly finished: Promise<DrainSummary>;
  private resolveFinished!: (summary: DrainSummary) => void;
  private readonly cut: CutDownload[] = [];
  private completedCount = 0;
  private completedBytes = 0;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private listenersClosed = false;
  private preDrainLeft = 0;
  private readonly preDrain = new WeakSet<ConnectionEntry>();

  constructor(
    private readonly registry: Registry,
    private readonly listeners: PublicListeners,
    private readonly settings: DrainSettings,
    private readonly say: (line: string) => void,
  ) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    registry.responseEndListeners.push((entry, outcome) => this.onResponseEnd(entry, outcome));
    registry.removeListeners.push((entry) => this.onRemove(entry));
  }

  get isDraining(): boolean {
    return this.state.kind !== 'serving';
  }

  /** Whether a connection accepted now should be admitted as usual (not drained at once). */
  get admitsNormally(): boolean {
    const s = this.state;
    return s.kind === 'serving' || (s.kind === 'draining' && s.delayUntilMs !== null);
  }

  /** Starts a graceful drain; while one runs, only a shorter deadline changes anything. */
  drain(request: DrainRequest): LifecycleState {
    const nowMs = Date.now();
    const s = this.state;
    if (s.kind === 'stopping') return s;
    if (s.kind === 'draining') {
      const deadlineMs = drainDeadline(nowMs, null, request.timeoutMs ?? null, s.deadlineMs);
      if (deadlineMs !== s.deadlineMs) {
        this.state = { ...s, deadlineMs };
        this.armDeadline(deadlineMs);
      }
      this.say(this.progressLine());
      return this.state;
    }
    const deadlineMs = drainDeadline(
      nowMs,
      this.settings.drainTimeoutMs,
      request.timeoutMs ?? null,
      null,
    );
    const delayMs = this.settings.drainDelayMs;
    this.state = {
      kind: 'draining',
      sinceMs: nowMs,
      trigger: request.trigger,
      delayUntilMs: delayMs > 0 ? nowMs + delayMs : null,
      deadlineMs,
    };
    this.say(
      `draining (${request.trigger}): ${this.registry.size} connections open` +
        (deadlineMs === null
          ? ', no deadline'
          : `, deadline in ${Math.round((deadlineMs - nowMs) / 1000)} s`),
    );
    this.armDeadline(deadlineMs);
    if (delayMs > 0) setTimeout(() => this.beginDrain(), delayMs);
    else this.beginDrain();
    return this.state;
  }

  /** Stops now: listeners closed, every connection cut and logged. */
  stop(trigger: StopTrigger): LifecycleState {
    if (this.state.kind === 'stopping') return this.state;
    const sinceMs = this.state.kind === 'draining' ? this.state.sinceMs : Date.now();
    this.state = { kind: 'stopping', sinceMs, trigger };
    this.say(`stopping now (${trigger}): cutting ${this.registry.size} connections`);
    this.closeListeners();
    for (const entry of this.registry) entry.connection?.cut('stopped');
    this.finishWhenEmpty();
    return this.state;
  }

  /** A line for the operator: what is left of the drain. */
  progressLine(): string {
    let left = 0;
    let bytesLeft = 0;
    for (const entry of this.registry) {
      if (entry.phase === 'responding' || entry.phase === 'delivering') {
        left++;
        bytesLeft += entry.bytesLeft;
      }
    }
    return `drain in progress: ${this.registry.size} connections open, ${left} downloads with ${formatBytes(bytesLeft)} left`;
  }

  private beginDrain(): void {
    const s = this.state;
    if (s.kind !== 'draining') return;
    if (s.delayUntilMs !== null) this.state = { ...s, delayUntilMs: null };
    if (this.settings.drainNew.kind === 'refuse') this.closeListeners();
    for (const entry of this.registry) {
      entry.connection?.requestClose();
      this.preDrain.add(entry);
      this.preDrainLeft++;
    }
    // The last-request window: a request racing onto an idle connection is answered, not reset.
    setTimeout(() => {
      for (const entry of this.registry) entry.connection?.closeIfIdle();
    }, this.settings.lastRequestWindowMs).unref();
    if (this.preDrainLeft === 0) this.closeListeners();
    this.finishWhenEmpty();
  }

  private armDeadline(deadlineMs: number | null): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    if (deadlineMs === null) return;
    this.deadlineTimer = setTimeout(
      () => {
        this.say(`drain deadline reached: cutting ${this.registry.size} connections`);
        this.closeListeners();
        for (const entry of this.registry) entry.connection?.cut('deadline');
      },
      Math.max(0, deadlineMs - Date.now()),
    );
  }

  private closeListeners(): void {
    if (this.listenersClosed) return;
    this.listenersClosed = true;
    this.listeners.close();
  }

  private finishWhenEmpty(): void {
    void this.registry.whenEmpty().then(() => {
      // A drain whose policy keeps listening (503/redirect) waits for its listeners first.
      if (!this.listenersClosed) return;
      if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
      const summary: DrainSummary = {
        trigger: this.state.kind === 'serving' ? 'admin' : this.state.trigger,
        durationMs: Date.now() - this.state.sinceMs,
        completed: { count: this.completedCount, bytes: this.completedBytes },
        cut: this.cut,
        exitStatus: drainExitStatus(this.cut),
      };
      this.resolveFinished(summary);
    });
  }

  /** A reply cut while it was still being written. */
  private onResponseEnd(entry: ConnectionEntry, outcome: ResponseOutcome): void {
    if (this.state.kind === 'serving' || !CUT_REASONS.has(outcome)) return;
    this.recordCut(entry, outcome, entry.bytesSent);
  }

  private recordCut(entry: ConnectionEntry, reason: ResponseOutcome, bytesSent: number): void {
    const cut: CutDownload = {
      client: `${entry.remoteAddress}:${entry.remotePort}`,
      path: entry.request?.target ?? '-',
      bytesSent,
      bytesDue: entry.bytesDue,
      reason,
    };
    this.cut.push(cut);
    this.say(
      `cut (${reason}): ${cut.client} ${cut.path} after ${bytesSent} of ${cut.bytesDue} bytes`,
    );
  }

  /**
   * A download counts as completed when its connection closes after delivering it: the client
   * has the bytes. One cut while its tail was still in the kernel is a cut like any other.
   */
  private countDelivery(entry: ConnectionEntry): void {
    const delivery = entry.delivery;
    if (delivery === null || entry.bytesDue === 0) return;
    if (delivery === 'complete') {
      if (entry.status >= 200 && entry.status < 300) {
        this.completedCount++;
        this.completedBytes += entry.bytesSent;
      }
    } else if (CUT_REASONS.has(delivery)) {
      this.recordCut(entry, delivery, entry.bytesAcked);
    }
  }

  private onRemove(entry: ConnectionEntry): void {
    if (this.state.kind !== 'serving') this.countDelivery(entry);
    if (!this.preDrain.has(entry)) return;
    this.preDrainLeft--;
    if (this.preDrainLeft === 0) {
      // In 503/redirect mode the listeners stay until the last download that was in flight ends.
      this.closeListeners();
      this.finishWhenEmpty();
    }
  }
}
