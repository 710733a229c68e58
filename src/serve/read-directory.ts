/**
 * Read a directory for a listing, keeping only the entries a request could reach: no dot
 * names when they are denied, no symlinks leaving the root when they are not followed, no
 * broken links, nothing but regular files and directories, and no name with a backslash
 * (resolvePath refuses it). Names are bytes: one that is not valid UTF-8 is listed too.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { isDotName, joinBytes } from './byte-path.js';
import { isReachable, type PathPolicy } from './confine-path.js';
import { failureFromError, type Failure } from './fs-failure.js';

export interface ListingEntry {
  /** The name as the file system has it. */
  readonly name: Buffer;
  readonly isDirectory: boolean;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
}

const BACKSLASH = 0x5c;

export async function readListingEntries(
  policy: PathPolicy,
  dirPath: Buffer,
): Promise<ListingEntry[] | Failure> {
  let names: Buffer[];
  try {
    names = await readdir(dirPath, { encoding: 'buffer' });
  } catch (error) {
    return failureFromError(error);
  }
  const reachable = names.filter((name) => isAddressable(policy, name));
  const entries = await Promise.all(reachable.map((name) => readEntry(policy, dirPath, name)));
  return entries.filter((entry) => entry !== null);
}

function isAddressable(policy: PathPolicy, name: Buffer): boolean {
  if (name.includes(BACKSLASH)) return false;
  return policy.dotfiles === 'allow' || !isDotName(name);
}

/** The entry as a request would see it, or null if a request could not reach it. */
async function readEntry(
  policy: PathPolicy,
  dirPath: Buffer,
  name: Buffer,
): Promise<ListingEntry | null> {
  const entryPath = joinBytes(dirPath, [name]);
  try {
    const link = await lstat(entryPath);
    if (link.isSymbolicLink() && !policy.followSymlinks) {
      if (!isReachable(policy, await realpath(entryPath, { encoding: 'buffer' }))) return null;
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
