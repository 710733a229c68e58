/**
 * Which file, and which version of it, a descriptor reads: device and inode name the file;
 * size, mtime and ctime its version. ctime is the one time no tool can set back, so a file
 * rewritten in place with its size and mtime restored (`touch -r`, `rsync --inplace -t`) or a
 * new file that reused a freed inode never passes for the old version.
 */
import type { Stats } from 'node:fs';

export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export function identityOf(stats: Stats): FileIdentity {
  const { dev, ino, size: sizeBytes, mtimeMs, ctimeMs } = stats;
  return { dev, ino, sizeBytes, mtimeMs, ctimeMs };
}
