/**
 * The drain state machine (DESIGN.md, "The drain contract"). A request to drain or stop only
 * changes state; `settle()` — called after every transition and on every connection close —
 * is the one place that decides what follows, and the drain is over because the last
 * connection closed, not because anything polled. Its timers are kept in one record, and every
 * state change is told to the observers (the listeners, the admin API, later sd_notify).
 */
import type { DrainableConnection } from '../http/connection.js';
import { isCutReason, type ConnectionPhase, type CutReason } from '../http/types.js';
import { readQueuesNow } from '../progress/kernel-queues-now.js';
import type { ClosedRecord, ResponseRecord, ResponseSink } from './response-record.js';
import { checkersWaiting, planDrainDelay, type DelayPlan } from './drain-delay.js';
import { HealthCheckers, type HealthChecker } from './health-checkers.js';
import type { DrainDelay } from '../config/values.js';
import {
  drainDeadline,
  drainExitStatus,
  formatBytes,
  type CutDownload,
  type DrainSettings,
  type DrainState,
  type DrainSummary,
  type StopTrigger,
} from './state.js';

/** A connection as the drain sees it. */
export interface DrainEntry {
  readonly id: number;
  readonly connection: DrainableConnection | null;
  readonly phase: ConnectionPhase;
  /** Key of the socket's row in /proc/net/tcp{,6}; '' when unknown. */
  readonly tcpKey: string;
  /** Body bytes of the current reply still to reach the client. */
  readonly bytesLeft: number;
}

export interface DrainConnections extends Iterable<DrainEntry> {
  readonly size: number;
}

export interface DrainRequest {
  readonly trigger: StopTrigger;
  /** A deadline for this drain, from now (e.g. `ebb stop --timeout 10m`). */
  readonly timeoutMs?: number | null;
  /**
   * An upgrade: a newer ebb accepts on the same sockets now, so this one closes its listeners at
   * once (no drain delay, no 503/redirect for newcomers: none can reach it anyway).
   */
  readonly handedOver?: boolean;
}

export type DrainObserver = (state: DrainState) => void;

type TimerName = 'delay' | 'lastRequestWindow' | 'deadline';
type DrainingState = Extract<DrainState, { kind: 'draining' }>;
type DelayingState = Extract<DrainState, { kind: 'delaying' }>;

export class Drain implements ResponseSink {
  private current: DrainState = { kind: 'serving', sinceMs: Date.now() };
  /** Resolves once, with the summary, when the drain (or stop) is over. */
  readonly finished: Promise<DrainSummary>;
  private resolveFinished!: (summary: DrainSummary) => void;
  private summary: DrainSummary | null = null;
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();
  private readonly observers = new Set<DrainObserver>();
  /** Ids of the connections open when the drain began that are still open (503/redirect). */
  private readonly preDrain = new Set<number>();
  private readonly cut: CutDownload[] = [];
  private completedCount = 0;
  private completedBytes = 0;

  constructor(
    private readonly connections: DrainConnections,
    private settings: DrainSettings,
    private readonly say: (line: string) => void,
    /** Who polls /ready (the admin routes record them): what `--drain-delay auto` waits for. */
    readonly healthCheckers = new HealthCheckers(),
    /** Bytes received and not yet read, per socket key (tests give a table instead of /proc). */
    private readonly readReceiveQueues: () => ReadonlyMap<string, number> = () =>
      readQueuesNow('rx'),
  ) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    healthCheckers.onPoll((checker) => {
      if (checker.polls === 2) this.say(describeNewChecker(checker, this.settings.drainDelay));
      this.checkerAnswered();
    });
  }

  get state(): DrainState {
    return this.current;
  }

  /** A reload's new drain settings, for the next drain (one under way keeps its own). */
  useSettings(settings: DrainSettings): void {
    if (this.current.kind === 'serving') this.settings = settings;
  }

  /** Tells `observer` every state change from now on; returns the unsubscribe function. */
  observe(observer: DrainObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /**
   * Starts a graceful drain; while one runs, only a shorter deadline changes anything, and the
   * operator is told how far it has got. Returns the completion promise (the same every call).
   */
  drain(request: DrainRequest): Promise<DrainSummary> {
    const s = this.current;
    const nowMs = Date.now();
    const requestedMs = request.timeoutMs ?? null;
    switch (s.kind) {
      case 'serving':
        this.begin(request.trigger, nowMs, requestedMs, request.handedOver === true);
        break;
      case 'delaying':
      case 'draining': {
        const deadlineMs = drainDeadline(nowMs, null, requestedMs, s.deadlineMs);
        if (deadlineMs !== s.deadlineMs) {
          this.enter({ ...s, deadlineMs });
          this.armDeadline(deadlineMs);
        }
        this.say(this.progressLine());
        break;
      }
      case 'stopping':
        break;
    }
    return this.finished;
  }

  /** Stops now: listeners closed, every connection cut and logged. Returns the completion. */
  stop(trigger: StopTrigger): Promise<DrainSummary> {
    const s = this.current;
    if (s.kind === 'stopping') return this.finished;
    for (const name of this.timers.keys()) this.disarm(name);
    this.enter({
      kind: 'stopping',
      sinceMs: s.kind === 'serving' ? Date.now() : s.sinceMs,
      trigger,
    });
    this.say(`stopping now (${trigger}): cutting ${this.connections.size} connections`);
    this.cutAll('stopped');
    this.settle();
    return this.finished;
  }

  /** A line for the operator: what is left of the drain. */
  progressLine(): string {
    let left = 0;
    let bytesLeft = 0;
    for (const entry of this.connections) {
      if (entry.phase === 'responding' || entry.phase === 'delivering') {
        left++;
        bytesLeft += entry.bytesLeft;
      }
    }
    const s = this.current;
    const waiting =
      s.kind === 'delaying' && s.healthCheckers !== null
        ? `, waiting for ${s.healthCheckers.waitingFor} health checkers`
        : '';
    return `drain in progress: ${this.connections.size} connections open, ${left} downloads with ${formatBytes(bytesLeft)} left${waiting}`;
  }

  /** A reply cut while it was still being written. */
  responseWritten(record: ResponseRecord): void {
    if (this.current.kind === 'serving' || !isCutReason(record.written)) return;
    this.recordCut(record, record.written, record.bytesAcked ?? record.bytesSent);
  }

  /** The listeners have taken what the kernel had queued for them and are closed. */
  listenersClosed(): void {
    const s = this.current;
    if (s.kind !== 'draining' || s.listeners === 'closed') return;
    this.enter({ ...s, listeners: 'closed' });
    this.settle();
  }

  connectionClosed(record: ClosedRecord): void {
    if (this.current.kind === 'serving') return;
    this.countDelivery(record);
    const s = this.current;
    if (this.preDrain.delete(record.connectionId) && s.kind === 'draining') {
      this.enter({ ...s, waitingFor: this.preDrain.size });
    }
    this.settle();
  }

  private begin(
    trigger: StopTrigger,
    nowMs: number,
    requestedMs: number | null,
    handedOver: boolean,
  ): void {
    const deadlineMs = drainDeadline(nowMs, this.settings.drainTimeoutMs, requestedMs, null);
    const plan: DelayPlan = handedOver
      ? { kind: 'none' }
      : planDrainDelay(this.settings.drainDelay, this.healthCheckers.active(nowMs));
    this.say(
      `draining (${trigger}): ${this.connections.size} connections open` +
        (deadlineMs === null
          ? ', no deadline'
          : `, deadline in ${Math.round((deadlineMs - nowMs) / 1000)} s`) +
        describePlan(plan),
    );
    this.armDeadline(deadlineMs);
    if (plan.kind === 'none') {
      this.closeDown({ sinceMs: nowMs, trigger, deadlineMs }, handedOver);
      return;
    }
    this.enter({
      kind: 'delaying',
      sinceMs: nowMs,
      trigger,
      untilMs: nowMs + plan.ms,
      deadlineMs,
      healthCheckers:
        plan.kind === 'auto'
          ? { waitingFor: plan.waitingFor, answersNeeded: plan.answersNeeded }
          : null,
    });
    this.arm('delay', plan.ms, () => {
      const s = this.current;
      if (s.kind !== 'delaying') return;
      // Closed first, told after: a client reading the line finds the listeners closed.
      this.closeDown(s);
      if (s.healthCheckers !== null) {
        this.say(
          `drain delay over after ${Math.round((plan.ms / 1000) * 10) / 10} s: ` +
            `${s.healthCheckers.waitingFor} health checkers not yet answered 503 ` +
            `${s.healthCheckers.answersNeeded} times; listeners closed`,
        );
      }
    });
  }

  /** `--drain-delay auto`: a checker was answered; the delay ends once none is waiting. */
  private checkerAnswered(): void {
    const s = this.current;
    if (s.kind !== 'delaying' || s.healthCheckers === null) return;
    const { answersNeeded } = s.healthCheckers;
    const waitingFor = checkersWaiting(
      this.healthCheckers.active(Date.now()),
      answersNeeded,
    ).length;
    if (waitingFor === s.healthCheckers.waitingFor) return;
    const next: DelayingState = { ...s, healthCheckers: { waitingFor, answersNeeded } };
    if (waitingFor > 0) {
      this.enter(next);
      return;
    }
    this.disarm('delay');
    this.closeDown(next);
    this.say(
      `every health checker has been answered 503 ${answersNeeded} times ` +
        `(after ${((Date.now() - s.sinceMs) / 1000).toFixed(1)} s): listeners closed`,
    );
  }

  /**
   * The drain proper: every connection is asked to close once it has answered what its client
   * sent before now (the bytes Node has read plus those still in the kernel's receive queue, read
   * once here, synchronously, so no reply can end in between); idle ones get the last-request
   * window (a request racing onto one is answered, not reset), then are closed.
   */
  private closeDown(
    from: Pick<DrainingState | DelayingState, 'sinceMs' | 'trigger' | 'deadlineMs'>,
    handedOver = false,
  ): void {
    const keepListening = !handedOver && this.settings.drainNew.kind !== 'refuse';
    if (keepListening) for (const entry of this.connections) this.preDrain.add(entry.id);
    this.enter({
      kind: 'draining',
      sinceMs: from.sinceMs,
      trigger: from.trigger,
      deadlineMs: from.deadlineMs,
      listeners: keepListening ? 'open' : 'closing',
      waitingFor: this.preDrain.size,
    });
    // After the listeners are told (one with nothing queued has closed), in the same turn: the
    // receive queues cost a read of the whole socket table, and no reply can end meanwhile.
    const received: ReadonlyMap<string, number> =
      this.connections.size === 0 ? new Map() : this.readReceiveQueues();
    for (const entry of this.connections) {
      entry.connection?.requestClose(received.get(entry.tcpKey) ?? 0);
    }
    this.arm('lastRequestWindow', this.settings.lastRequestWindowMs, () => {
      for (const entry of this.connections) entry.connection?.closeIfIdle();
    });
    this.settle();
  }

  private armDeadline(deadlineMs: number | null): void {
    if (deadlineMs === null) {
      this.disarm('deadline');
      return;
    }
    this.arm('deadline', Math.max(0, deadlineMs - Date.now()), () => {
      const s = this.current;
      if (s.kind !== 'delaying' && s.kind !== 'draining') return;
      this.say(`drain deadline reached: cutting ${this.connections.size} connections`);
      this.disarm('delay');
      this.preDrain.clear();
      this.enter({
        kind: 'draining',
        sinceMs: s.sinceMs,
        trigger: s.trigger,
        deadlineMs: s.deadlineMs,
        listeners: s.kind === 'draining' && s.listeners === 'closed' ? 'closed' : 'closing',
        waitingFor: 0,
      });
      this.cutAll('deadline');
      this.settle();
    });
  }

  /** The one place that decides what follows from where the drain stands. */
  private settle(): void {
    if (this.summary !== null) return;
    let s = this.current;
    // 503/redirect: the listeners close once the connections open at the drain are gone.
    if (s.kind === 'draining' && s.listeners === 'open' && s.waitingFor === 0) {
      s = { ...s, listeners: 'closing' };
      this.enter(s);
    }
    if (this.connections.size > 0) return;
    if (s.kind === 'stopping' || (s.kind === 'draining' && s.listeners === 'closed')) {
      this.finish(s);
    }
  }

  private finish(s: Extract<DrainState, { kind: 'draining' | 'stopping' }>): void {
    for (const name of this.timers.keys()) this.disarm(name);
    this.summary = {
      trigger: s.trigger,
      durationMs: Date.now() - s.sinceMs,
      completed: { count: this.completedCount, bytes: this.completedBytes },
      cut: this.cut,
      exitStatus: drainExitStatus(this.cut),
    };
    this.resolveFinished(this.summary);
  }

  private enter(next: DrainState): void {
    this.current = next;
    for (const observer of this.observers) observer(next);
  }

  private cutAll(reason: CutReason): void {
    for (const entry of this.connections) entry.connection?.cut(reason);
  }

  private arm(name: TimerName, delayMs: number, run: () => void): void {
    this.disarm(name);
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        run();
      }, delayMs),
    );
  }

  private disarm(name: TimerName): void {
    const timer = this.timers.get(name);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(name);
  }

  private recordCut(response: ResponseRecord, reason: CutReason, bytesSent: number): void {
    const cut: CutDownload = {
      client: response.client,
      path: response.request.target === '' ? '-' : response.request.target,
      bytesSent,
      bytesDue: response.bytesDue,
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
  private countDelivery(record: ClosedRecord): void {
    const { delivery, lastResponse: response } = record;
    if (delivery === null || response === null || response.bytesDue === 0) return;
    if (delivery.outcome === 'delivered') {
      if (response.status >= 200 && response.status < 300) {
        this.completedCount++;
        this.completedBytes += response.bytesSent;
      }
    } else if (isCutReason(delivery.outcome)) {
      this.recordCut(response, delivery.outcome, delivery.bytesAcked);
    }
  }
}

/** What the drain's first line says of its delay. */
function describePlan(plan: DelayPlan): string {
  switch (plan.kind) {
    case 'none':
      return '';
    case 'fixed':
      return `, closing the listeners in ${plan.ms / 1000} s`;
    case 'auto':
      return (
        `, waiting for ${plan.waitingFor} health checkers to be answered 503 ` +
        `${plan.answersNeeded} times (at most ${(plan.ms / 1000).toFixed(1)} s)`
      );
  }
}

/** Told once a client has polled twice: the operator learns who a drain will wait for. */
function describeNewChecker(checker: HealthChecker, delay: DrainDelay): string {
  const agent = checker.userAgent.replace(/[^\x20-\x7e]/g, '?');
  const every = ((checker.intervalMs ?? 0) / 1000).toFixed(1);
  return (
    `health checker ${checker.client}${agent === '' ? '' : ` (${agent})`} polls /ready every ${every} s` +
    (delay.kind === 'auto' ? `; a drain waits until it has seen 503 ${delay.answers} times` : '')
  );
}
