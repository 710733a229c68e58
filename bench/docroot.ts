/**
 * The generated document root: 1k.bin, 100k.bin, big.bin (random bytes, generated once into a
 * cache under os.tmpdir() and hard-linked in) and dir/ with 200 small files.
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, statSync, copyFileSync } from 'node:fs';
import { open, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FILES = {
  small: '/1k.bin',
  medium: '/100k.bin',
  big: '/big.bin',
  listing: '/dir/',
  /** What apt fetches each run: mostly answered 304 (If-Modified-Since), sometimes in full. */
  inRelease: '/debian/dists/stable/InRelease',
  packages: '/debian/dists/stable/main/binary-amd64/Packages.xz',
} as const;

const MIRROR_FILE_BYTES = { inRelease: 150 * 1024, packages: 64 * 1024 } as const;

export const LISTING_FILE_COUNT = 200;

const CHUNK_BYTES = 8 * 1024 * 1024;

async function writeRandomFile(path: string, sizeBytes: number): Promise<void> {
  const partial = `${path}.partial`;
  const handle = await open(partial, 'w');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let written = 0; written < sizeBytes; written += CHUNK_BYTES) {
      const length = Math.min(CHUNK_BYTES, sizeBytes - written);
      randomFillSync(chunk, 0, length);
      await handle.write(chunk, 0, length);
    }
  } finally {
    await handle.close();
  }
  await rename(partial, path);
}

/** The big file in the cache dir, generated on first use; reused while its size matches. */
export async function cachedBigFile(sizeBytes: number): Promise<string> {
  const cacheDir = join(tmpdir(), 'ebb-bench-cache');
  mkdirSync(cacheDir, { recursive: true });
  const path = join(cacheDir, `big-${sizeBytes}.bin`);
  if (existsSync(path) && statSync(path).size === sizeBytes) return path;
  console.log(`bench: generating ${sizeBytes} random bytes into ${path} (once)`);
  await writeRandomFile(path, sizeBytes);
  return path;
}

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** Fills `root` (an empty directory); world-readable so unprivileged workers can serve it. */
export async function buildDocroot(root: string, bigFileBytes: number): Promise<void> {
  chmodSync(root, 0o755);
  await writeFile(join(root, FILES.small), randomBytes(1024));
  await writeFile(join(root, FILES.medium), randomBytes(100 * 1024));
  linkOrCopy(await cachedBigFile(bigFileBytes), join(root, FILES.big));
  mkdirSync(join(root, '/debian/dists/stable/main/binary-amd64'), { recursive: true, mode: 0o755 });
  await writeFile(join(root, FILES.inRelease), randomBytes(MIRROR_FILE_BYTES.inRelease));
  await writeFile(join(root, FILES.packages), randomBytes(MIRROR_FILE_BYTES.packages));
  const dir = join(root, FILES.listing);
  mkdirSync(dir, { mode: 0o755 });
  for (let index = 0; index < LISTING_FILE_COUNT; index += 1) {
    const name = `file-${String(index).padStart(3, '0')}.txt`;
    await writeFile(join(dir, name), `file ${index}\n`);
  }
}
