/**
 * The symlink policy: map URL segments to the filesystem path to open. With followSymlinks
 * false the candidate is realpath'd and must stay under the root, its resolved segments obey
 * the dotfile rule, and the caller opens it with O_NOFOLLOW so a last-component swap to a
 * symlink fails. (An intermediate directory swapped for a symlink between realpath and open
 * is a residual race: Node has no openat2(RESOLVE_BENEATH).)
 */
import { realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { failureFromError, NOT_FOUND, type Failure } from './fs-failure.js';
import { isDotName, type Dotfiles } from './resolve-path.js';

export interface PathPolicy {
  readonly root: string;
  readonly dotfiles: Dotfiles;
  readonly followSymlinks: boolean;
}

export type Located = { readonly kind: 'located'; readonly fsPath: string } | Failure;

export async function locatePath(
  policy: PathPolicy,
  segments: readonly string[],
): Promise<Located> {
  const candidate = join(policy.root, ...segments);
  if (policy.followSymlinks) return { kind: 'located', fsPath: candidate };
  let realPath: string;
  try {
    realPath = await realpath(candidate);
  } catch (error) {
    return failureFromError(error);
  }
  return isReachable(policy, realPath) ? { kind: 'located', fsPath: realPath } : NOT_FOUND;
}

/** A resolved path is reachable if it is the root or under it, through no denied dot name. */
export function isReachable(policy: PathPolicy, realPath: string): boolean {
  if (!isWithinRoot(policy.root, realPath)) return false;
  if (policy.dotfiles === 'allow' || realPath === policy.root) return true;
  return !relative(policy.root, realPath).split(sep).some(isDotName);
}

export function isWithinRoot(root: string, realPath: string): boolean {
  const prefix = root.endsWith(sep) ? root : root + sep;
  return realPath === root || realPath.startsWith(prefix);
}
