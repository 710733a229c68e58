/** A ConnectionObserver for unit tests of the wire: keeps every event, in order. */
import type {
  ConnectionObserver,
  ConnectionPhase,
  DeliveryOutcome,
  ParsedRequest,
  Reply,
  WriteOutcome,
} from '../../../src/http/types.js';

export type ObservedEvent =
  | { readonly kind: 'phase'; readonly phase: ConnectionPhase }
  | { readonly kind: 'request'; readonly target: string }
  | { readonly kind: 'response'; readonly status: number; readonly bytesDue: number }
  | { readonly kind: 'written'; readonly outcome: WriteOutcome }
  | { readonly kind: 'close'; readonly delivery: DeliveryOutcome | null };

export class RecordingObserver implements ConnectionObserver {
  readonly events: ObservedEvent[] = [];
  bodyBytes = 0;
  private waiters: Array<{ test: (e: ObservedEvent) => boolean; resolve: () => void }> = [];

  /** Resolves once an event matching `test` has been seen (also if it already was). */
  waitFor(test: (event: ObservedEvent) => boolean): Promise<void> {
    if (this.events.some(test)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  get closed(): Promise<void> {
    return this.waitFor((e) => e.kind === 'close');
  }

  get responseStarted(): Promise<void> {
    return this.waitFor((e) => e.kind === 'response');
  }

  /** Every written outcome, in order. */
  get written(): WriteOutcome[] {
    return this.events.flatMap((e) => (e.kind === 'written' ? [e.outcome] : []));
  }

  get phases(): ConnectionPhase[] {
    return this.events.flatMap((e) => (e.kind === 'phase' ? [e.phase] : []));
  }

  get delivery(): DeliveryOutcome | null | undefined {
    const close = this.events.find((e) => e.kind === 'close');
    return close?.kind === 'close' ? close.delivery : undefined;
  }

  onPhase(phase: ConnectionPhase): void {
    this.push({ kind: 'phase', phase });
  }
  onRequestStart(request: ParsedRequest): void {
    this.push({ kind: 'request', target: request.target });
  }
  onResponseStart(_request: ParsedRequest, reply: Reply, bytesDue: number): void {
    this.push({ kind: 'response', status: reply.status, bytesDue });
  }
  onBodyBytes(bytes: number): void {
    this.bodyBytes += bytes;
  }
  onResponseWritten(outcome: WriteOutcome): void {
    this.push({ kind: 'written', outcome });
  }
  onClose(delivery: DeliveryOutcome | null): void {
    this.push({ kind: 'close', delivery });
  }

  private push(event: ObservedEvent): void {
    this.events.push(event);
    const ready = this.waiters.filter((w) => w.test(event));
    this.waiters = this.waiters.filter((w) => !w.test(event));
    for (const waiter of ready) waiter.resolve();
  }
}
