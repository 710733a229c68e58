/**
 * The access log a reload can replace: records go to the current log, so lines of responses
 * that end after a reload go where the new config says, and the old file is closed (its
 * pending lines written) once the new one is in.
 */
import type { AccessLog } from './access-log.js';

export class SwitchableLog implements AccessLog {
  /** Lines the logs replaced by reloads dropped (a full disk), so the metric never goes back. */
  private droppedBefore = 0;

  constructor(private current: AccessLog) {}

  get linesDropped(): number {
    return this.droppedBefore + this.current.linesDropped;
  }

  note(text: string): void {
    this.current.note(text);
  }

  write(record: Parameters<AccessLog['write']>[0]): void {
    this.current.write(record);
  }

  reopen(): Promise<void> {
    return this.current.reopen();
  }

  close(): Promise<void> {
    return this.current.close();
  }

  /** Swaps `next` in; resolves once the previous log is flushed and closed. */
  replace(next: AccessLog): Promise<void> {
    const previous = this.current;
    this.current = next;
    return previous.close().finally(() => (this.droppedBefore += previous.linesDropped));
  }
}
