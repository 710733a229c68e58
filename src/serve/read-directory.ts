/**
 * Read a directory for a listing, keeping only the entries a request could reach: no dot
 * names when they are denied, no symlinks leaving the root when they are not followed, no
 * broken links, nothing but regular files and directories, and no name a URL cannot address
 * (invalid UTF-8, or a backslash, which resolvePath refuses).
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isReachable, type PathPolicy } from './confine-path.js';
import { failureFromError, type Failure } from './fs-failure.js';
import { isDotName } from './resolve-path.js';

export interface ListingEntry {
  readonly name: string;
  readonly isDirectory: boolean;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function readListingEntries(
  policy: PathPolicy,
  dirPath: string,
): Promise<ListingEntry[] | Failure> {
  let rawNames: Buffer[];
  try {
    rawNames = await readdir(dirPath, { encoding: 'buffer' });
  } catch (error) {
    return failureFromError(error);
  }
  const names = rawNames.map(decodeName).filter((name) => isAddressable(policy, name));
  const entries = await Promise.all(names.map((name) => readEntry(policy, dirPath, name)));
  return entries.filter((entry) => entry !== null);
}

function decodeName(raw: Buffer): string | null {
  try {
    return utf8.decode(raw);
  } catch (error) {
    if (error instanceof TypeError) return null;
    throw error;
  }
}

function isAddressable(policy: PathPolicy, name: string | null): name is string {
  if (name === null || name.includes('\\')) return false;
  return policy.dotfiles === 'allow' || !isDotName(name);
}

/** The entry as a request would see it, or null if a request could not reach it. */
async function readEntry(
  policy: PathPolicy,
  dirPath: string,
  name: string,
): Promise<ListingEntry | null> {
  const entryPath = join(dirPath, name);
  try {
    const link = await lstat(entryPath);
    if (link.isSymbolicLink() && !policy.followSymlinks) {
      if (!isReachable(policy, await realpath(entryPath))) return null;
    }
    const target = link.isSymbolicLink() ? await stat(entryPath) : link;
    if (!target.isFile() && !target.isDirectory()) return null;
    return {
      name,
      isDirectory: target.isDirectory(),
      sizeBytes: target.size,
      mtimeMs: target.mtimeMs,
    };
  } catch {
    return null; // vanished, broken link, or unreadable: not reachable either
  }
}
