/**
 * The digest cache's sidecar file, `STATE_DIR/digests-v1.log`: one line per digest, appended
 * as each is computed, read back at start (later lines win, malformed ones are skipped) and
 * rewritten compacted (temporary file, then rename) when it holds far more lines than entries.
 * A sidecar in a state folder rather than an xattr on the file: a mirror tree is often
 * read-only to its server (and rsync without -X drops xattrs on every update), and one file
 * is read at start in one go. Failures are reported once and the cache goes on in memory.
 */
import { appendFile, mkdir, open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DigestCache, formatDigestLine, parseDigestLine } from './digest-cache.js';

export const DIGEST_FILE_NAME = 'digests-v1.log';
/** A file larger than this is not read (it is rewritten from what is learnt anew). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface DigestStore {
  readonly cache: DigestCache;
  /** Remember a digest in memory and append it to the file. Never throws. */
  record(key: string, digest: Buffer): void;
  /** Resolves once every append so far is written. */
  flushed(): Promise<void>;
}

export async function openDigestStore(
  stateDir: string | null,
  say: (line: string) => void,
  cache = new DigestCache(),
): Promise<DigestStore> {
  if (stateDir === null) return memoryStore(cache);
  const path = join(stateDir, DIGEST_FILE_NAME);
  try {
    await mkdir(stateDir, { recursive: true });
    const lineCount = await loadLines(path, cache);
    if (lineCount > 2 * cache.size) await compact(path, cache);
  } catch (error) {
    say(`digest cache ${path}: ${String(error)}; digests are kept in memory only`);
    return memoryStore(cache);
  }
  let writes = Promise.resolve();
  let failed = false;
  return {
    cache,
    record(key, digest) {
      cache.set(key, digest);
      if (failed) return;
      writes = writes
        .then(() => appendFile(path, formatDigestLine(key, digest)))
        .catch((error: unknown) => {
          failed = true;
          say(`digest cache ${path}: ${String(error)}; new digests are kept in memory only`);
        });
    },
    flushed: () => writes,
  };
}

function memoryStore(cache: DigestCache): DigestStore {
  return { cache, record: (key, digest) => cache.set(key, digest), flushed: async () => {} };
}

/** Reads the file into `cache`; returns how many lines it held (0 when it does not exist). */
async function loadLines(path: string, cache: DigestCache): Promise<number> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size > MAX_FILE_BYTES) return Number.MAX_SAFE_INTEGER;
    const lines = (await handle.readFile('utf8')).split('\n');
    for (const line of lines) {
      const parsed = parseDigestLine(line);
      if (parsed !== null) cache.set(parsed.key, parsed.digest);
    }
    return lines.length;
  } finally {
    await handle.close();
  }
}

async function compact(path: string, cache: DigestCache): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, [...cache.lines()].join(''));
  await rename(temporary, path);
}
