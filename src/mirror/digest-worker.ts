/**
 * The digest worker thread: hashes one file at a time, off the event loop that serves, at the
 * lowest CPU priority (on Linux a thread's nice value is its own) and no faster than the job's
 * read rate. The file is hashed only if it is the version asked for, before and after reading;
 * one that changed while it was read is discarded.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { setPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort } from 'node:worker_threads';
import type { FileIdentity } from '../serve/file-identity.js';
import type { DigestJob, DigestResult } from './digest-job.js';

const CHUNK_BYTES = 1024 * 1024;
const LOWEST_PRIORITY = 19;

function isVersion(stats: Stats, identity: FileIdentity): boolean {
  return (
    stats.isFile() &&
    stats.dev === identity.dev &&
    stats.ino === identity.ino &&
    stats.size === identity.sizeBytes &&
    stats.mtimeMs === identity.mtimeMs &&
    stats.ctimeMs === identity.ctimeMs
  );
}

async function hashFile(job: DigestJob): Promise<DigestResult> {
  // A Buffer path arrives as a plain Uint8Array through postMessage.
  const path = typeof job.fsPath === 'string' ? job.fsPath : Buffer.from(job.fsPath);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!isVersion(fstatSync(fd), job.identity)) return { id: job.id, kind: 'changed' };
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    const startedAtMs = Date.now();
    let offset = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, CHUNK_BYTES, offset);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      offset += bytesRead;
      // Bounded read rate: wait until this many bytes are due.
      const dueAtMs = startedAtMs + (offset / job.readBytesPerSecond) * 1000;
      const aheadMs = dueAtMs - Date.now();
      if (aheadMs > 0) await sleep(aheadMs);
    }
    const unchanged = offset === job.identity.sizeBytes && isVersion(fstatSync(fd), job.identity);
    return unchanged
      ? { id: job.id, kind: 'digest', sha256: hash.digest() }
      : { id: job.id, kind: 'changed' };
  } finally {
    closeSync(fd);
  }
}

const port = parentPort;
if (port !== null) {
  try {
    setPriority(LOWEST_PRIORITY);
  } catch {
    // Not permitted (or not supported): hashing still runs, at the default priority.
  }
  port.on('message', (job: DigestJob) => {
    hashFile(job).then(
      (result) => port.postMessage(result),
      (error: unknown) => port.postMessage({ id: job.id, kind: 'failed', message: String(error) }),
    );
  });
}
