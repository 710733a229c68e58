/**
 * The access log: lines are gathered and written once per event-loop turn (one write for many
 * requests), to stdout or to a file that `reopen()` closes and opens again for logrotate.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { formatAccessLine, type AccessRecord } from './format-line.js';
import { EbbError } from '../errors.js';

export type AccessLogTarget = { kind: 'off' } | { kind: 'stdout' } | { kind: 'file'; path: string };

export interface AccessLog {
  write(record: AccessRecord): void;
  /** Opens the file again (after logrotate moved it). */
  reopen(): Promise<void>;
  /** Writes what is pending and closes the file. */
  close(): Promise<void>;
}

const FLUSH_BYTES = 64 * 1024;

export async function openAccessLog(target: AccessLogTarget): Promise<AccessLog> {
  if (target.kind === 'off') {
    return {
      write: () => undefined,
      reopen: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
  }
  const open = async (): Promise<NodeJS.WritableStream> => {
    if (target.kind === 'stdout') return process.stdout;
    const stream = createWriteStream(target.path, { flags: 'a' });
    try {
      await once(stream, 'open');
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new EbbError('ACCESS_LOG_FAILED', `cannot open access log ${target.path}: ${why}`, {
        cause: error,
      });
    }
    return stream;
  };
  let stream = await open();
  let pending = '';
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    stream.write(pending);
    pending = '';
  };
  const finish = async (s: NodeJS.WritableStream): Promise<void> => {
    flush();
    if (s === process.stdout) {
      if (process.stdout.writableNeedDrain) await once(process.stdout, 'drain');
      return;
    }
    const file = s as WriteStream;
    file.end();
    await once(file, 'close');
  };

  return {
    write(record) {
      pending += formatAccessLine(record);
      if (pending.length >= FLUSH_BYTES) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    async reopen() {
      if (target.kind !== 'file') return;
      const old = stream;
      stream = await open();
      await finish(old);
    },
    close: () => finish(stream),
  };
}
