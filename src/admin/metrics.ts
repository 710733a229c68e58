/**
 * Prometheus metrics of one server, through prom-client with a registry of its own (never the
 * global one). Every prom-client detail stays in this file: the rest of ebb sees `render()`.
 *
 * Counters that ebb already keeps (body bytes, accepted connections) and gauges of current
 * state are read from the registry when scraped; what only a response's end knows (status code,
 * method, why it was cut) is counted as responses end.
 */
import {
  Counter,
  Gauge,
  Registry as PromRegistry,
  collectDefaultMetrics,
  type CounterConfiguration,
} from 'prom-client';
import { CUT_REASONS, isCutReason } from '../http/types.js';
import type { Registry } from '../lifecycle/registry.js';
import type { ResponseSink } from '../lifecycle/response-record.js';
import type { LifecycleState } from '../lifecycle/state.js';
import { WARNING_CODES, type WarningCode } from '../lifecycle/warnings.js';

/** Faults the server survived (see /status `warnings`). */
export interface FaultCounts {
  warningCount(code: WarningCode): number;
  accessLogLinesDropped(): number;
}

export interface MetricsSource {
  readonly registry: Registry;
  state(): LifecycleState;
  readonly faults?: FaultCounts;
}

export interface ServerMetrics {
  readonly contentType: string;
  /** The Prometheus text exposition of every metric, as of now. */
  render(): Promise<string>;
  /** Counts each response and cut as it ends (one of the registry's sinks). */
  readonly sink: ResponseSink;
}

/**
 * The method label: a known method as sent, anything else `other`. Any token is a method on the
 * wire (answered 405), so labelling by the raw token would add a label set per distinct token,
 * forever: one client could grow the heap until the process dies.
 */
export const METHOD_LABELS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'PATCH',
  'CONNECT',
  'TRACE',
] as const;

export function methodLabel(method: string): string {
  return labelOfMethodIndex(methodIndex(method));
}

/** The method's place in METHOD_LABELS; METHOD_LABELS.length stands for `other`. */
function methodIndex(method: string): number {
  const index = (METHOD_LABELS as readonly string[]).indexOf(method);
  return index === -1 ? METHOD_LABELS.length : index;
}

function labelOfMethodIndex(index: number): string {
  return METHOD_LABELS[index] ?? 'other';
}

/** Status codes are what ebb sends, a small set; anything outside 100–599 is a bug: `other`. */
export function codeLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other';
}

/**
 * Responses by status and method, counted as plain numbers (a labelled prom-client inc hashes
 * its labels on every response) and copied into the counter when scraped. Bounded as the labels
 * are: one row per status code (or `other`), one slot per method label.
 */
class ResponseCounts {
  private readonly rows = new Map<string, number[]>();

  count(status: number, method: string): void {
    const code = codeLabel(status);
    let row = this.rows.get(code);
    if (row === undefined) {
      row = new Array<number>(METHOD_LABELS.length + 1).fill(0);
      this.rows.set(code, row);
    }
    row[methodIndex(method)]! += 1;
  }

  forEach(visit: (code: string, method: string, count: number) => void): void {
    for (const [code, row] of this.rows) {
      row.forEach((count, index) => {
        if (count > 0) visit(code, labelOfMethodIndex(index), count);
      });
    }
  }
}

/** 0 serving, 1 draining, 2 stopping. */
export function drainStateValue(state: LifecycleState): number {
  switch (state.kind) {
    case 'serving':
      return 0;
    case 'draining':
      return 1;
    case 'stopping':
      return 2;
  }
}

/** A counter whose total the registry already keeps: copied in when scraped. */
function mirroredCounter(
  register: PromRegistry,
  config: Omit<CounterConfiguration<string>, 'registers' | 'collect'>,
  read: () => number,
): Counter {
  return new Counter({
    ...config,
    registers: [register],
    collect() {
      // prom-client counters have no set(): reset and add the current total.
      this.reset();
      this.inc(read());
    },
  });
}

/** One series per warning code (all present from the start, so `rate()` works), lines dropped. */
function faultMetrics(register: PromRegistry, faults: FaultCounts): void {
  new Counter({
    name: 'ebb_warnings_total',
    help: 'Faults survived, by code: ACCEPT_FAILED (connections refused at the open-file limit), ACCESS_LOG_WRITE, STDERR_WRITE.',
    labelNames: ['code'] as const,
    registers: [register],
    collect() {
      this.reset();
      for (const code of WARNING_CODES) this.inc({ code }, faults.warningCount(code));
    },
  });
  mirroredCounter(
    register,
    {
      name: 'ebb_access_log_lines_dropped_total',
      help: 'Access log lines lost: the log could not be written (full disk, reader gone) and its queue was full.',
    },
    () => faults.accessLogLinesDropped(),
  );
}

export function createServerMetrics(source: MetricsSource): ServerMetrics {
  const { registry } = source;
  const register = new PromRegistry();
  collectDefaultMetrics({ register, prefix: 'ebb_' });

  const responses = new ResponseCounts();
  new Counter({
    name: 'ebb_requests_total',
    help: 'Responses ended, by status code and request method.',
    labelNames: ['code', 'method'] as const,
    registers: [register],
    collect() {
      this.reset();
      responses.forEach((code, method, count) => this.inc({ code, method }, count));
    },
  });
  const cuts = new Counter({
    name: 'ebb_connections_cut_total',
    help: 'Downloads cut: stalled past the write-idle timeout, at the drain deadline, or by an immediate stop.',
    labelNames: ['reason'] as const,
    registers: [register],
  });
  for (const reason of CUT_REASONS) cuts.inc({ reason }, 0);

  mirroredCounter(
    register,
    { name: 'ebb_response_body_bytes_total', help: 'Response body bytes handed to the kernel.' },
    () => registry.bodyBytesTotal,
  );
  mirroredCounter(
    register,
    { name: 'ebb_connections_accepted_total', help: 'Connections accepted.' },
    () => registry.acceptedTotal,
  );
  new Gauge({
    name: 'ebb_connections',
    help: 'Open connections by state.',
    labelNames: ['state'] as const,
    registers: [register],
    collect() {
      const counts = registry.phaseCounts;
      this.set({ state: 'reading' }, counts.reading);
      this.set({ state: 'idle' }, counts.idle);
      this.set({ state: 'responding' }, counts.responding);
      this.set({ state: 'delivering' }, counts.delivering);
    },
  });
  new Gauge({
    name: 'ebb_inflight_bytes_due_bytes',
    help: 'Body bytes still due on responses in flight.',
    registers: [register],
    collect() {
      this.set(Math.max(0, registry.bytesDueInFlight));
    },
  });
  new Gauge({
    name: 'ebb_drain_state',
    help: 'Lifecycle state: 0 serving, 1 draining, 2 stopping.',
    registers: [register],
    collect() {
      this.set(drainStateValue(source.state()));
    },
  });
  new Gauge({
    name: 'ebb_drain_started_timestamp_seconds',
    help: 'When the drain (or stop) began, in seconds since the epoch; 0 while serving.',
    registers: [register],
    collect() {
      const state = source.state();
      this.set(state.kind === 'serving' ? 0 : state.sinceMs / 1000);
    },
  });

  if (source.faults !== undefined) faultMetrics(register, source.faults);

  const sink: ResponseSink = {
    responseWritten(record) {
      responses.count(record.status, record.request.method);
      if (isCutReason(record.written)) cuts.inc({ reason: record.written });
    },
    // A response handed whole to the kernel can still be cut while the client reads its tail.
    connectionClosed({ delivery, lastResponse }) {
      if (delivery === null || lastResponse === null || lastResponse.bytesDue === 0) return;
      if (isCutReason(delivery.outcome)) cuts.inc({ reason: delivery.outcome });
    },
  };

  return {
    contentType: register.contentType,
    render: () => register.metrics(),
    sink,
  };
}
