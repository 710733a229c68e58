/**
 * The digests of served files, computed in the background: a request for a file whose digest
 * is unknown queues it (at most MAX_QUEUED files, each once), and the worker thread hashes one
 * file at a time at a bounded read rate. Never on the request path: `digestOf` only looks up.
 */
import { Worker } from 'node:worker_threads';
import type { FileRef } from '../serve/mirror-hooks.js';
import { digestKey } from './digest-cache.js';
import type { DigestJob, DigestResult } from './digest-job.js';
import type { DigestStore } from './digest-store.js';

export const MAX_QUEUED = 1000;
/** How fast the worker reads a file it hashes: a 4 GiB image takes about 80 s. */
export const DIGEST_READ_BYTES_PER_SECOND = 50 * 1024 * 1024;

export interface Digests {
  /** The file's sha-256 if known; if not, it is queued for hashing. */
  digestOf(file: FileRef): Buffer | null;
  /** Files waiting to be hashed (the one being hashed not counted). */
  readonly queuedCount: number;
  /** Stops the worker (a hash in progress is dropped) and waits for the sidecar's writes. */
  close(): Promise<void>;
}

interface Queued {
  readonly key: string;
  readonly job: DigestJob;
}

export interface DigestOptions {
  readonly readBytesPerSecond?: number;
  /** Told how each job ended (for tests and, later, metrics). */
  readonly onSettled?: (key: string, kind: DigestResult['kind']) => void;
}

export function startDigests(
  store: DigestStore,
  say: (line: string) => void,
  options: DigestOptions = {},
): Digests {
  const readBytesPerSecond = options.readBytesPerSecond ?? DIGEST_READ_BYTES_PER_SECOND;
  const worker = new Worker(new URL('./digest-worker.js', import.meta.url));
  worker.unref();
  const queued = new Map<string, Queued>();
  let running: Queued | null = null;
  let nextId = 1;
  let closed = false;

  const runNext = (): void => {
    if (running !== null || closed) return;
    const next = queued.values().next();
    if (next.done === true) return;
    queued.delete(next.value.key);
    running = next.value;
    worker.postMessage(running.job);
  };
  worker.on('message', (result: DigestResult) => {
    const done = running;
    running = null;
    if (done !== null && result.id === done.job.id) {
      if (result.kind === 'digest') store.record(done.key, Buffer.from(result.sha256));
      options.onSettled?.(done.key, result.kind);
    }
    runNext();
  });
  worker.on('error', (error) => {
    closed = true;
    say(`digest worker stopped: ${String(error)}; no more digests are computed`);
  });

  return {
    get queuedCount() {
      return queued.size;
    },
    digestOf(file) {
      const key = digestKey(file.identity);
      const known = store.cache.get(key);
      if (known !== undefined) return known;
      if (!closed && running?.key !== key && !queued.has(key) && queued.size < MAX_QUEUED) {
        const { fsPath, identity } = file;
        const job = {
          id: nextId++,
          fsPath,
          identity,
          readBytesPerSecond,
        };
        queued.set(key, { key, job });
        runNext();
      }
      return null;
    },
    async close() {
      closed = true;
      queued.clear();
      await worker.terminate();
      await store.flushed();
    },
  };
}
