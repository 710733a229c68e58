/**
 * Faults ebb survived and must not keep quiet about (a log disk full, stderr gone, connections
 * refused at the open-file limit): one entry per code for `/status` and the metrics, and the
 * operator told at the first occurrence, then at most once per interval with a count, so a flood
 * of the same fault is one line every ten seconds, not one per connection.
 */

export type WarningCode = 'ACCESS_LOG_WRITE' | 'STDERR_WRITE' | 'ACCEPT_FAILED';

export const WARNING_CODES: readonly WarningCode[] = [
  'ACCESS_LOG_WRITE',
  'STDERR_WRITE',
  'ACCEPT_FAILED',
];

export interface Warning {
  readonly code: WarningCode;
  /** The latest description (bounded in length). */
  readonly message: string;
  /** Occurrences since the server started. */
  readonly count: number;
  readonly firstAtMs: number;
  readonly lastAtMs: number;
}

/** A message longer than this is cut: messages carry paths and error texts. */
export const MAX_WARNING_MESSAGE_CHARS = 300;

export const RETELL_INTERVAL_MS = 10_000;

interface Entry {
  warning: Warning;
  /** Occurrences not yet told to the operator, and the timer that will tell them. */
  untold: number;
  toldAtMs: number;
  timer: NodeJS.Timeout | null;
}

function bounded(message: string): string {
  return message.length <= MAX_WARNING_MESSAGE_CHARS
    ? message
    : `${message.slice(0, MAX_WARNING_MESSAGE_CHARS - 3)}...`;
}

export class Warnings {
  private readonly entries = new Map<WarningCode, Entry>();

  /** `tell` is the operator's channel (stderr); it must not throw. */
  constructor(
    private readonly tell: (line: string) => void,
    private readonly retellIntervalMs = RETELL_INTERVAL_MS,
  ) {}

  /** One occurrence of a fault: counted now, told now or within the interval. */
  record(code: WarningCode, message: string, nowMs = Date.now()): void {
    const text = bounded(message);
    const entry = this.entries.get(code);
    if (entry === undefined) {
      const warning = { code, message: text, count: 1, firstAtMs: nowMs, lastAtMs: nowMs };
      this.entries.set(code, { warning, untold: 0, toldAtMs: nowMs, timer: null });
      this.tell(text);
      return;
    }
    const { warning } = entry;
    entry.warning = { ...warning, message: text, count: warning.count + 1, lastAtMs: nowMs };
    entry.untold++;
    if (entry.timer !== null) return;
    const waitMs = Math.max(0, entry.toldAtMs + this.retellIntervalMs - nowMs);
    entry.timer = setTimeout(() => this.tellUntold(entry), waitMs);
    entry.timer.unref();
  }

  /** The fault is over (writes succeed again): the operator is told, the entry stays as history. */
  resolve(code: WarningCode, message: string, nowMs = Date.now()): void {
    const entry = this.entries.get(code);
    if (entry === undefined) return;
    if (entry.timer !== null) clearTimeout(entry.timer);
    entry.timer = null;
    entry.untold = 0;
    entry.toldAtMs = nowMs;
    entry.warning = { ...entry.warning, message: bounded(message) };
    this.tell(entry.warning.message);
  }

  count(code: WarningCode): number {
    return this.entries.get(code)?.warning.count ?? 0;
  }

  /** At most one entry per code, in the order they first happened. */
  list(): Warning[] {
    return [...this.entries.values()].map((entry) => entry.warning);
  }

  private tellUntold(entry: Entry): void {
    entry.timer = null;
    if (entry.untold === 0) return;
    const seconds = Math.round((Date.now() - entry.toldAtMs) / 1000);
    const times = entry.untold === 1 ? 'once more' : `${entry.untold} more times`;
    this.tell(`${entry.warning.message} (${times} in the last ${seconds} s)`);
    entry.untold = 0;
    entry.toldAtMs = Date.now();
  }
}
