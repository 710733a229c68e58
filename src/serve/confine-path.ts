/**
 * The symlink policy: map URL segments to the filesystem path to open. With followSymlinks
 * false the candidate is realpath'd and must stay under the root, its resolved segments obey
 * the dotfile rule, and the caller opens it with O_NOFOLLOW so a last-component swap to a
 * symlink fails. (An intermediate directory swapped for a symlink between realpath and open
 * is a residual race: Node has no openat2(RESOLVE_BENEATH).) Paths are bytes (byte-path.ts).
 */
import { realpath } from 'node:fs/promises';
import { isDotName, joinBytes, splitBytes } from './byte-path.js';
import { failureFromError, NOT_FOUND, type Failure } from './fs-failure.js';
import type { Dotfiles } from './resolve-path.js';

export interface PathPolicy {
  readonly root: string;
  readonly dotfiles: Dotfiles;
  readonly followSymlinks: boolean;
}

export type Located = { readonly kind: 'located'; readonly fsPath: Buffer } | Failure;

export async function locatePath(
  policy: PathPolicy,
  segments: readonly Buffer[],
): Promise<Located> {
  const candidate = joinBytes(Buffer.from(policy.root), segments);
  if (policy.followSymlinks) return { kind: 'located', fsPath: candidate };
  let realPath: Buffer;
  try {
    realPath = await realpath(candidate, { encoding: 'buffer' });
  } catch (error) {
    return failureFromError(error);
  }
  return isReachable(policy, realPath) ? { kind: 'located', fsPath: realPath } : NOT_FOUND;
}

/** A resolved path is reachable if it is the root or under it, through no denied dot name. */
export function isReachable(policy: PathPolicy, realPath: Buffer): boolean {
  const root = Buffer.from(policy.root);
  const below = pathBelow(root, realPath);
  if (below === null) return false;
  if (policy.dotfiles === 'allow' || below.length === 0) return true;
  return !splitBytes(below).some(isDotName);
}

/** The part of `realPath` under `root` (empty for the root itself); null if it is not under it. */
export function pathBelow(root: Buffer, realPath: Buffer): Buffer | null {
  if (realPath.equals(root)) return Buffer.alloc(0);
  const prefixLength = root.at(-1) === 0x2f ? root.length : root.length + 1;
  if (realPath.length <= prefixLength) return null;
  if (!realPath.subarray(0, root.length).equals(root)) return null;
  if (prefixLength > root.length && realPath[root.length] !== 0x2f) return null;
  return realPath.subarray(prefixLength);
}
