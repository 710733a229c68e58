/**
 * Serve a directory: redirect to the slashed URL, else its index file, else a listing,
 * else 403.
 */
import type { Reply } from '../http/types.js';
import { locatePath, type PathPolicy } from './confine-path.js';
import { FORBIDDEN, type Failure } from './fs-failure.js';
import { renderListing } from './listing.js';
import { openFile, type Opened } from './open-file.js';
import type { Outcome } from './outcome.js';
import type { Target } from './parse-target.js';
import { evaluatePreconditions } from './preconditions.js';
import { readListingEntries } from './read-directory.js';
import { replyFor } from './replies.js';
import { isDotName } from './resolve-path.js';
import { TtlCache } from './file-cache.js';
import { fdVersion, sendFile, type FileConditions } from './serve-file.js';

export interface DirectoryOptions extends PathPolicy {
  readonly index: string | null;
  readonly listing: boolean;
  readonly cacheControl: string | null;
}

export interface DirectoryRequest {
  readonly target: Extract<Target, { kind: 'target' }>;
  readonly segments: readonly string[];
  readonly trailingSlash: boolean;
  /** The directory as opened: realpath'd when symlinks are not followed. */
  readonly fsPath: string;
  readonly conditions: FileConditions;
}

/** Listing pages by directory path, rebuilt at most once a second. */
export type ListingCache = TtlCache<string>;

export function createListingCache(): ListingCache {
  return new TtlCache<string>((html) => html.length);
}

export async function serveDirectory(
  options: DirectoryOptions,
  listings: ListingCache,
  request: DirectoryRequest,
): Promise<Reply> {
  const reply = (outcome: Outcome): Reply => replyFor(outcome, options.cacheControl);
  if (!request.trailingSlash) {
    return reply({ kind: 'redirect', location: redirectLocation(request.target) });
  }
  if (options.index !== null) {
    const index = await openIndex(options, request.segments, options.index);
    if (index.kind === 'file') {
      return sendFile(fdVersion(index), options.index, request.conditions, options.cacheControl);
    }
    if (index.kind !== 'not-found' && index.kind !== 'directory') return reply(index);
  }
  return reply(await listDirectory(options, listings, request));
}

/**
 * The original (still percent-encoded) path plus `/` and the query. Runs of slashes are
 * collapsed so `//evil.example/dir` cannot become a protocol-relative redirect.
 */
export function redirectLocation(target: { rawPath: string; query: string }): string {
  return `${target.rawPath.replace(/\/{2,}/g, '/')}/${target.query}`;
}

async function openIndex(
  policy: PathPolicy,
  segments: readonly string[],
  indexName: string,
): Promise<Opened> {
  if (policy.dotfiles === 'deny' && isDotName(indexName)) return { kind: 'not-found' };
  const located = await locatePath(policy, [...segments, indexName]);
  if (located.kind !== 'located') return located;
  return openFile(located.fsPath, { noFollow: !policy.followSymlinks });
}

/** A listing has no validators: only `*` conditions can match it. */
async function listDirectory(
  options: DirectoryOptions,
  listings: ListingCache,
  request: DirectoryRequest,
): Promise<Outcome> {
  if (!options.listing) return FORBIDDEN;
  switch (evaluatePreconditions(request.conditions, null)) {
    case 'failed':
      return { kind: 'precondition-failed' };
    case 'not-modified':
      return { kind: 'not-modified', validators: null };
    case 'proceed':
      break;
  }
  const urlPath = request.segments.length === 0 ? '/' : `/${request.segments.join('/')}/`;
  const nowMs = Date.now();
  const cached = listings.get(urlPath, nowMs);
  if (cached !== undefined) return { kind: 'listing', html: cached };
  const entries = await readListingEntries(options, request.fsPath);
  if (!Array.isArray(entries)) return entries satisfies Failure;
  const html = renderListing(urlPath, entries);
  listings.set(urlPath, html, nowMs);
  return { kind: 'listing', html };
}
