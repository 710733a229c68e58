/**
 * Operator lines on stderr (and text on stdout), best effort. A server must not die because
 * nobody reads its messages: a terminal closed under it (EIO), a pipe whose reader left (EPIPE),
 * a full disk under a redirected stderr (ENOSPC). Each standard stream gets one permanent
 * 'error' listener, so no write anywhere in the process (console.error included) can crash it.
 * The first failure on stderr is handed to whoever can still note it (stdout's failures are the
 * access log's to tell, it writes there), and later lines are dropped. A reader that stalls
 * cannot grow memory either: past a bound, lines are dropped.
 */
import { findTerminal, type Terminal } from './terminal.js';

export interface StderrLoss {
  /** The errno code (`EIO`, `EPIPE`, `ENOSPC`) or the error's message. */
  readonly why: string;
  /** Operator lines dropped since (so far). */
  readonly linesDropped: () => number;
}

export interface OperatorOutput {
  /** Writes `ebb: LINE` to stderr. Never throws. */
  readonly say: (line: string) => void;
  /** Calls `listener` once, at the first failed write to stderr (at once if one failed). */
  onStderrLost(listener: (loss: StderrLoss) => void): void;
}

/** Bytes queued on a stream beyond which a line is dropped rather than buffered. */
export const MAX_QUEUED_BYTES = 64 * 1024;
/** An operator line is cut at this many characters (they carry client paths). */
export const MAX_LINE_CHARS = 2048;

const CONTROL = /[\x00-\x1f\x7f]/g;

/** One line, control bytes shown as \xHH (a client's path must not drive the terminal), bounded. */
export function neutralizeLine(line: string): string {
  const cut = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS - 3)}...` : line;
  return cut.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

/**
 * Guards `stderr` and `stdout` for the life of the process and returns the operator's channel.
 * EIO means the terminal hung up: its descriptors are released (see terminal.ts).
 */
export function guardStandardStreams(
  stderr: NodeJS.WritableStream & { readonly destroyed: boolean; readonly writableLength: number },
  stdout: NodeJS.WritableStream,
  terminal: Terminal = findTerminal(),
): OperatorOutput {
  let lost: StderrLoss | null = null;
  let dropped = 0;
  const listeners: Array<(loss: StderrLoss) => void> = [];

  const releaseIfHungUp = (error: unknown): void => {
    if (describe(error) === 'EIO') terminal.release();
  };
  const lose = (error: unknown): void => {
    if (lost !== null) return;
    releaseIfHungUp(error);
    lost = { why: describe(error), linesDropped: () => dropped };
    for (const listener of listeners) listener(lost);
  };
  stderr.on('error', lose);
  // Nothing to tell here: the access log on stdout sees its own write errors.
  stdout.on('error', releaseIfHungUp);

  return {
    say(line) {
      if (lost !== null || stderr.destroyed || stderr.writableLength > MAX_QUEUED_BYTES) {
        dropped++;
        return;
      }
      try {
        stderr.write(`ebb: ${neutralizeLine(line)}\n`, (error) => {
          if (error) lose(error);
        });
      } catch (error) {
        lose(error);
      }
    },
    onStderrLost(listener) {
      if (lost !== null) listener(lost);
      else listeners.push(listener);
    },
  };
}
