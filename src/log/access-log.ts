/**
 * The access log: one line per response, to a file (created 0640, as nginx and lighttpd ship
 * their logs) that `reopen()` closes and opens again for logrotate, or to stdout. A log that
 * cannot be written never stops the server: the failure is reported once per episode (and
 * counted each time), lines wait within a bound or are dropped and counted, and writing resumes
 * by itself (see log-sinks.ts).
 */
import { fstatSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { MAX_LINE_BYTES, writeAccessLine, type AccessRecord } from './format-line.js';
import { descriptorSink, fileHandleSink, streamSink, type LogSink } from './log-sinks.js';
import { EbbError } from '../errors.js';

export type AccessLogTarget = { kind: 'off' } | { kind: 'stdout' } | { kind: 'file'; path: string };

/** The mode a new log file is created with (before the umask). */
export const ACCESS_LOG_MODE = 0o640;

export interface AccessLogFaults {
  /** A write failed, or lines were dropped while writes worked: called for each occurrence. */
  failed(why: string): void;
  /** The first successful write after failures. */
  resumed(failedForMs: number, linesDropped: number): void;
}

export interface AccessLog {
  write(record: AccessRecord): void;
  /** A comment line (`# TEXT`) in a log file, for what cannot be told elsewhere; not on stdout. */
  note(text: string): void;
  /** Lines lost since the log was opened (a full disk, a reader gone). */
  readonly linesDropped: number;
  /** Opens the file again (after logrotate moved it). */
  reopen(): Promise<void>;
  /** Writes what is pending (bounded in time) and closes the file. */
  close(): Promise<void>;
}

const NO_FAULTS: AccessLogFaults = { failed: () => undefined, resumed: () => undefined };

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

export async function openAccessLog(
  target: AccessLogTarget,
  faults: AccessLogFaults = NO_FAULTS,
): Promise<AccessLog> {
  if (target.kind === 'off') {
    return {
      write: () => undefined,
      note: () => undefined,
      linesDropped: 0,
      reopen: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
  }
  let linesDropped = 0;
  let failingSinceMs: number | null = null;
  let droppedInEpisode = 0;
  const events = {
    failed(why: string) {
      failingSinceMs ??= Date.now();
      faults.failed(why);
    },
    wrote() {
      if (failingSinceMs === null) return;
      faults.resumed(Date.now() - failingSinceMs, droppedInEpisode);
      failingSinceMs = null;
      droppedInEpisode = 0;
    },
    dropped(lines: number, why: string) {
      linesDropped += lines;
      droppedInEpisode += lines;
      // Within a failure already reported, the drops are its consequence, not news.
      if (failingSinceMs === null) events.failed(`lines dropped: ${why}`);
    },
  };

  // stdout redirected to a file gets the resumable descriptor writer; a pipe or terminal, the stream.
  const stdoutIsFile = target.kind === 'stdout' && isRegularFile(1);
  const openSink = async (): Promise<LogSink> => {
    if (target.kind === 'stdout') {
      return stdoutIsFile ? descriptorSink(1, events) : streamSink(process.stdout, events);
    }
    try {
      return fileHandleSink(await open(target.path, 'a', ACCESS_LOG_MODE), events);
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new EbbError('ACCESS_LOG_FAILED', `cannot open access log ${target.path}: ${why}`, {
        cause: error,
      });
    }
  };
  let sink = await openSink();
  const writesFile = target.kind === 'file' || stdoutIsFile;

  return {
    write(record) {
      sink.appendEncoded(MAX_LINE_BYTES, writeAccessLine, record);
    },
    note(text) {
      if (writesFile) sink.append(`# ${text.replace(/[\x00-\x1f\x7f]/g, ' ')}\n`);
    },
    get linesDropped() {
      return linesDropped;
    },
    async reopen() {
      if (target.kind !== 'file') return;
      const old = sink;
      sink = await openSink();
      await old.close();
    },
    close: () => sink.close(),
  };
}
