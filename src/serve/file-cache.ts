/**
 * What the handler remembers between requests, for at most a second (nginx's open_file_cache
 * and lighttpd's stat cache do the same): where a URL path resolved to on disk, and for small
 * regular files their bytes, read whole from one open so a cached version is never spliced
 * from two. A file replaced on disk is therefore seen within CACHE_VALID_MS; a large file is
 * still opened afresh by every request, only its path resolution is reused.
 */
import { read } from 'node:fs';
import type { Reply } from '../http/types.js';
import type { FileVersion } from './serve-file.js';

export const CACHE_VALID_MS = 1000;
/** Files up to this size are served from memory. */
export const SMALL_FILE_MAX_BYTES = 256 * 1024;
/** Memory the cached bytes may use in all; the least recently used go first. */
export const CACHE_MAX_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 10_000;

export interface CacheEntry {
  /** The resolved path to open (symlink policy already applied). */
  readonly fsPath: Buffer;
  /** The file's bytes when it is small and regular; null otherwise. */
  readonly version: (FileVersion & { readonly source: { readonly kind: 'memory' } }) | null;
  /**
   * The reply to a GET or HEAD of `version` with no precondition and no Range, made on first use:
   * the same for every such request while the entry lives (the mirror's headers included).
   */
  plainReply?: Reply;
}

/**
 * Values remembered for CACHE_VALID_MS, within a memory budget, least recently set first out.
 * Keys come from requests, so they count against the budget too (as does the entry count):
 * no sequence of requests can grow the cache past either bound.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; checkedAtMs: number; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly sizeOf: (value: V) => number,
    private readonly maxBytes = CACHE_MAX_BYTES,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  /** The value for `key` if it was stored less than CACHE_VALID_MS ago. */
  get(key: string, nowMs: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (nowMs - entry.checkedAtMs < CACHE_VALID_MS) return entry.value;
    this.delete(key);
    return undefined;
  }

  set(key: string, value: V, nowMs: number): void {
    this.delete(key);
    const bytes = this.sizeOf(value) + key.length;
    this.entries.set(key, { value, checkedAtMs: nowMs, bytes });
    this.bytes += bytes;
    for (const oldestKey of this.entries.keys()) {
      if (this.bytes <= this.maxBytes && this.entries.size <= this.maxEntries) break;
      this.delete(oldestKey);
    }
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}

export type FileCache = TtlCache<CacheEntry>;

export function createFileCache(): FileCache {
  return new TtlCache<CacheEntry>(
    (entry) => entry.fsPath.length + (entry.version?.source.data.length ?? 0),
  );
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
