/**
 * Known sha-256 digests, keyed by which file and which version of it (device, inode, size,
 * mtime, ctime: see serve/file-identity.ts), least recently used out first, at most
 * `maxEntries`. Also the one line format the sidecar file stores them in.
 */
import type { FileIdentity } from '../serve/file-identity.js';

export const DIGEST_CACHE_MAX_ENTRIES = 100_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Distinct for distinct identities: numbers print exactly as they parse back. */
export function digestKey(identity: FileIdentity): string {
  const { dev, ino, sizeBytes, mtimeMs, ctimeMs } = identity;
  return `${dev} ${ino} ${sizeBytes} ${mtimeMs} ${ctimeMs}`;
}

export class DigestCache {
  private readonly entries = new Map<string, Buffer>();

  constructor(private readonly maxEntries = DIGEST_CACHE_MAX_ENTRIES) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Buffer | undefined {
    const digest = this.entries.get(key);
    if (digest === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, digest);
    return digest;
  }

  set(key: string, digest: Buffer): void {
    this.entries.delete(key);
    this.entries.set(key, digest);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  /** Every entry, least recently used first (the order a compacted file keeps). */
  *lines(): Iterable<string> {
    for (const [key, digest] of this.entries) yield formatDigestLine(key, digest);
  }
}

export function formatDigestLine(key: string, digest: Buffer): string {
  return `${key} ${digest.toString('hex')}\n`;
}

/** A stored line back to its key and digest; null for anything malformed (it is skipped). */
export function parseDigestLine(line: string): { key: string; digest: Buffer } | null {
  const fields = line.split(' ');
  if (fields.length !== 6) return null;
  const hex = fields[5] ?? '';
  const numbers = fields.slice(0, 5).map(Number);
  if (!SHA256_HEX.test(hex) || !numbers.every((n) => Number.isFinite(n) && n >= 0)) return null;
  const [dev = 0, ino = 0, sizeBytes = 0, mtimeMs = 0, ctimeMs = 0] = numbers;
  const key = digestKey({ dev, ino, sizeBytes, mtimeMs, ctimeMs });
  return key === fields.slice(0, 5).join(' ') ? { key, digest: Buffer.from(hex, 'hex') } : null;
}
