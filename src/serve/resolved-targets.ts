/**
 * Where a request target leads, remembered. Parsing the target and resolving its path
 * (percent-decoding into bytes, splitting, removing dot segments, the cache key) depend on the
 * target's text and the dotfile policy alone, and a mirror is asked for the same few paths over
 * and over: a target seen before costs one map lookup and allocates nothing. The file system is
 * not consulted here, so nothing remembered can go stale.
 *
 * Bounded: targets longer than MAX_TARGET_CHARS are resolved each time and never kept, at most
 * MAX_TARGETS are kept (the oldest out first), and each keeps its own copy of its text and its
 * segments in one buffer of its own: neither a view of the request's head nor of a shared pool.
 */
import { keyOf } from './byte-path.js';
import { parseTarget, type Target } from './parse-target.js';
import { resolvePath, type Dotfiles, type ResolvedPath } from './resolve-path.js';

export const MAX_TARGETS = 1024;
export const MAX_TARGET_CHARS = 512;

/** A target that names a path under the root, with what the handler derives from it. */
export interface ResolvedTarget {
  readonly kind: 'resolved';
  readonly target: Extract<Target, { kind: 'target' }>;
  readonly resolved: Extract<ResolvedPath, { kind: 'path' }>;
  /** The last segment as latin1 (only its extension is used, for the Content-Type). */
  readonly fileName: string;
  /** The file cache's key for the path. */
  readonly cacheKey: string;
}

/** A target refused before the disk: malformed (400) or a name the policy hides (404). */
export type RefusedTarget = { readonly kind: 'bad-request' } | { readonly kind: 'not-found' };

export type TargetResolution = ResolvedTarget | RefusedTarget;

export class ResolvedTargets {
  private readonly known = new Map<string, TargetResolution>();

  constructor(
    private readonly dotfiles: Dotfiles,
    private readonly maxTargets = MAX_TARGETS,
  ) {}

  /** Where `rawTarget` (the request line's target, as sent) leads. */
  resolve(rawTarget: string): TargetResolution {
    const known = this.known.get(rawTarget);
    if (known !== undefined) return known;
    if (rawTarget.length > MAX_TARGET_CHARS) return resolveTarget(rawTarget, this.dotfiles);
    // The target is a slice of its request's whole head: what is kept is made from a copy.
    const kept = copyOf(rawTarget);
    return this.remember(kept, resolveTarget(kept, this.dotfiles));
  }

  get size(): number {
    return this.known.size;
  }

  /** Keeps `resolution` (compacted) for `rawTarget` and returns what is kept. */
  private remember(rawTarget: string, resolution: TargetResolution): TargetResolution {
    if (this.known.size >= this.maxTargets) {
      const oldest = this.known.keys().next();
      if (oldest.done !== true) this.known.delete(oldest.value);
    }
    const kept = resolution.kind === 'resolved' ? compacted(resolution) : resolution;
    this.known.set(rawTarget, kept);
    return kept;
  }
}

/** A string of its own: V8 keeps a slice of a longer string as a view that holds all of it. */
function copyOf(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le');
}

/** The target parsed and its path resolved, every time (what `ResolvedTargets` remembers). */
export function resolveTarget(rawTarget: string, dotfiles: Dotfiles): TargetResolution {
  const target = parseTarget(rawTarget);
  if (target.kind !== 'target') return target;
  const resolved = resolvePath(target.rawPath, dotfiles);
  if (resolved.kind !== 'path') return resolved;
  return {
    kind: 'resolved',
    target,
    resolved,
    fileName: resolved.segments.at(-1)?.toString('latin1') ?? '',
    cacheKey: keyOf(resolved.segments),
  };
}

/**
 * The same resolution with its segments copied into one exact buffer: decoded bytes are a slice
 * of Node's shared 8 KiB pool, which a kept slice would hold whole.
 */
function compacted(resolution: ResolvedTarget): ResolvedTarget {
  const { segments } = resolution.resolved;
  const total = segments.reduce((sum, segment) => sum + segment.length, 0);
  const store = Buffer.allocUnsafeSlow(total);
  let offset = 0;
  const copies = segments.map((segment) => {
    segment.copy(store, offset);
    offset += segment.length;
    return store.subarray(offset - segment.length, offset);
  });
  return { ...resolution, resolved: { ...resolution.resolved, segments: copies } };
}
