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
import { displayName, isDotName, keyOf } from './byte-path.js';
import { TtlCache } from './file-cache.js';
import { fdVersion, sendFile, type FileConditions } from './serve-file.js';

export interface DirectoryOptions extends PathPolicy {
  readonly index: string | null;
  readonly listing: boolean;
  readonly cacheControl: string | null;
}

export interface DirectoryRequest {
  readonly target: Extract<Target, { kind: 'target' }>;
  readonly segments: readonly Buffer[];
  readonly trailingSlash: boolean;
  /** The directory as opened: realpath'd when symlinks are not followed. */
  readonly fsPath: Buffer;
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
 * collapsed so `//evil.example/dir` cannot become a protocol-relative redirect. The target is
 * visible ASCII but may hold what a URI may not (`"`, `<`, `\`, `{`, a lone `%`…): those are
 * percent-encoded, so the Location is a valid URI reference whatever the client sent.
 */
export function redirectLocation(target: { rawPath: string; query: string }): string {
  const path = encodeOutsideUri(target.rawPath.replace(/\/{2,}/g, '/'), PATH_CHARS);
  return `${path}/${encodeOutsideUri(target.query, QUERY_CHARS)}`;
}

// RFC 3986: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"; query adds "/" and "?".
const PATH_CHARS = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;
const QUERY_CHARS = /[A-Za-z0-9\-._~!$&'()*+,;=:@/?]/;
const PERCENT_ESCAPE = /^%[0-9A-Fa-f]{2}/;

function encodeOutsideUri(text: string, allowed: RegExp): string {
  let encoded = '';
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    const keep = allowed.test(char) || (char === '%' && PERCENT_ESCAPE.test(text.slice(i, i + 3)));
    encoded += keep ? char : `%${text.charCodeAt(i).toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

async function openIndex(
  policy: PathPolicy,
  segments: readonly Buffer[],
  indexName: string,
): Promise<Opened> {
  if (policy.dotfiles === 'deny' && isDotName(indexName)) return { kind: 'not-found' };
  const located = await locatePath(policy, [...segments, Buffer.from(indexName)]);
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
  const { segments } = request;
  const urlPath = segments.length === 0 ? '/' : `/${segments.map(displayName).join('/')}/`;
  const cacheKey = keyOf(segments);
  const nowMs = Date.now();
  const cached = listings.get(cacheKey, nowMs);
  if (cached !== undefined) return { kind: 'listing', html: cached };
  const entries = await readListingEntries(options, request.fsPath);
  if (!Array.isArray(entries)) return entries satisfies Failure;
  const html = renderListing(urlPath, entries);
  listings.set(cacheKey, html, nowMs);
  return { kind: 'listing', html };
}
