/**
 * Every generation of ebb still running after upgrades: this one, and the older ones that are
 * draining. An old generation reports itself (and those older than it) to the next one over the
 * upgrade's IPC channel once a second and at each drain state change, so the newest — the one
 * the admin listener now reaches — shows them all in `/status` and `ebb status`.
 */
import type { ChildProcess } from 'node:child_process';
import type { GenerationRow, ToNewMessage } from './handover-protocol.js';
import { isToNewMessage } from './handover-protocol.js';
import type { ParentChannel } from './handover.js';

const REPORT_INTERVAL_MS = 1000;
/** A bound on what a parent may report: no ebb has this many generations running. */
const MAX_GENERATIONS = 32;

export class Generations {
  /** Older generations, newest first, as the parent last reported them. */
  private older: readonly GenerationRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private child: ChildProcess | null = null;

  constructor(private readonly self: () => GenerationRow) {}

  /** The older generations still running, newest first. */
  olderRows(): readonly GenerationRow[] {
    return this.older;
  }

  /** This one first, then the older ones still running. */
  rows(): readonly GenerationRow[] {
    return [this.self(), ...this.older];
  }

  /** Listens to the parent's reports (we were started by an upgrade). */
  followParent(channel: ParentChannel): void {
    channel.onMessage((message) => {
      if (!isToNewMessage(message) || message.type !== 'generations') return;
      this.older = message.rows.slice(0, MAX_GENERATIONS);
      this.report();
    });
    channel.onGone(() => {
      this.older = [];
      this.report();
    });
  }

  /** Reports to the new generation from now until this process ends. */
  reportTo(child: ChildProcess): void {
    this.child = child;
    this.report();
    this.timer ??= setInterval(() => this.report(), REPORT_INTERVAL_MS);
    this.timer.unref();
  }

  /** Tells the new generation where this one stands now (e.g. at a drain state change). */
  report(): void {
    const child = this.child;
    if (child === null || !child.connected) return;
    const message: ToNewMessage = { type: 'generations', rows: this.rows() };
    child.send(message, (error) => {
      if (error !== null && this.timer !== null) clearInterval(this.timer);
    });
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
