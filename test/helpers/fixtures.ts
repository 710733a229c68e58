/** Docroots generated at test time: random bytes with a known sha256, in a temp folder. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Fixture {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly data: Buffer;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function makeTempDir(
  prefix = 'ebb-test-',
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function writeRandomFile(dir: string, name: string, size: number): Promise<Fixture> {
  const data = randomBytes(size);
  await writeFile(join(dir, name), data);
  return { name, size, sha256: sha256(data), data };
}
