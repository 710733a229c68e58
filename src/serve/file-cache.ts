/**
 * What the handler remembers between requests, for at most a second (nginx's open_file_cache
 * and lighttpd's stat cache do the same): where a URL path resolved to on disk, and for small
 * regular files their bytes, read whole from one open so a cached version is never spliced
 * from two. A file replaced on disk is therefore seen within CACHE_VALID_MS; a large file is
 * still opened afresh by every request, only its path resolution is reused.
 */
import { read } from 'node:fs';
import type { FileVersion } from './serve-file.js';

export const CACHE_VALID_MS = 1000;
/** Files up to this size are served from memory. */
export const SMALL_FILE_MAX_BYTES = 256 * 1024;
/** Memory the cached bytes may use in all; the least recently used go first. */
export const CACHE_MAX_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 10_000;

export interface CacheEntry {
  /** The resolved path to open (symlink policy already applied). */
  readonly fsPath: string;
  /** The file's bytes when it is small and regular; null otherwise. */
  readonly version: (FileVersion & { readonly source: { readonly kind: 'memory' } }) | null;
  readonly checkedAtMs: number;
}

export class FileCache {
  private readonly entries = new Map<string, CacheEntry>();
  private bytes = 0;

  /** The entry for `key` if it was checked less than CACHE_VALID_MS ago. */
  get(key: string, nowMs: number): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (nowMs - entry.checkedAtMs >= CACHE_VALID_MS) {
      this.delete(key, entry);
      return undefined;
    }
    return entry;
  }

  set(key: string, entry: CacheEntry): void {
    const old = this.entries.get(key);
    if (old !== undefined) this.delete(key, old);
    this.entries.set(key, entry);
    this.bytes += entryBytes(entry);
    for (const [oldestKey, oldest] of this.entries) {
      if (this.bytes <= CACHE_MAX_BYTES && this.entries.size <= MAX_ENTRIES) break;
      this.delete(oldestKey, oldest);
    }
  }

  private delete(key: string, entry: CacheEntry): void {
    this.entries.delete(key);
    this.bytes -= entryBytes(entry);
  }
}

function entryBytes(entry: CacheEntry): number {
  return entry.version?.source.data.length ?? 0;
}

/** Reads a whole small file from its descriptor; null if it came up short (it changed). */
export function readWhole(fd: number, sizeBytes: number): Promise<Buffer | null> {
  const data = Buffer.allocUnsafe(sizeBytes);
  return new Promise((resolve) => {
    const step = (offset: number): void => {
      if (offset === sizeBytes) {
        resolve(data);
        return;
      }
      read(fd, data, offset, sizeBytes - offset, offset, (error, bytesRead) => {
        if (error !== null || bytesRead === 0) resolve(null);
        else step(offset + bytesRead);
      });
    };
    step(0);
  });
}
