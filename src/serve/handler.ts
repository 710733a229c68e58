/**
 * The static-file request handler: a short line of named steps, each returning a value.
 * parse target → resolve path → confine (symlink policy) → open once + fstat → file or
 * directory. Every outcome becomes a Reply; the handler never throws and never leaks a fd.
 */
import type { HeaderList, ParsedRequest, Reply, RequestHandler } from '../http/types.js';
import { locatePath } from './confine-path.js';
import { internalError, NOT_FOUND } from './fs-failure.js';
import { closeFd, openFile, type OpenedFile } from './open-file.js';
import {
  createFileCache,
  readWhole,
  SMALL_FILE_MAX_BYTES,
  type CacheEntry,
  type FileCache,
} from './file-cache.js';
import type { FileRef } from './mirror-hooks.js';
import type { Outcome } from './outcome.js';
import { replyFor } from './replies.js';
import { ResolvedTargets, type ResolvedTarget } from './resolved-targets.js';
import type { MirrorHooks } from './mirror-hooks.js';
import { describedSegments, serveMetalink } from './serve-metalink.js';
import { createListingCache, serveDirectory, type ListingCache } from './serve-directory.js';
import { rememberFields } from '../http/write-head.js';
import { newBoundary } from './multipart.js';
import {
  decideFileOutcome,
  fdVersion,
  fileVersion,
  readFileConditions,
  sendFile,
  type FileConditions,
  type FileVersion,
} from './serve-file.js';

export interface StaticOptions {
  /** Absolute, already realpath'd, a directory. */
  readonly root: string;
  /** Index file name for directories, e.g. "index.html"; null = none. */
  readonly index: string | null;
  /** HTML listing for directories without an index. */
  readonly listing: boolean;
  readonly dotfiles: 'deny' | 'allow';
  /** false: never leave the root through a symlink. */
  readonly followSymlinks: boolean;
  /** Cache-Control value for files and listings. */
  readonly cacheControl: string | null;
  /** What a mirror network adds (Link, digests, `.meta4`); absent: nothing. */
  readonly mirror?: MirrorHooks | undefined;
}

export function createStaticHandler(options: StaticOptions): RequestHandler {
  const caches: Caches = {
    files: createFileCache(),
    listings: createListingCache(),
    refills: new Map(),
    targets: new ResolvedTargets(options.dotfiles),
  };
  const failed = (error: unknown): Reply => replyFor(internalError(error), null);
  return (request) => {
    try {
      const reply = respond(options, caches, request);
      return reply instanceof Promise ? reply.catch(failed) : reply;
    } catch (error) {
      return failed(error);
    }
  };
}

interface Caches {
  readonly files: FileCache;
  readonly listings: ListingCache;
  /** Cache keys being looked up on disk, settled when the lookup's reply is made. */
  readonly refills: Map<string, Promise<void>>;
  readonly targets: ResolvedTargets;
}

/** What one request asks, once its target is parsed and its path resolved. */
interface Asked extends Omit<ResolvedTarget, 'kind'> {
  readonly request: ParsedRequest;
  readonly conditions: FileConditions;
  readonly nowMs: number;
}

/**
 * Everything that needs no disk is answered here, at once: refusals, and a small file the cache
 * holds. The rest goes to `respondFromDisk`.
 */
function respond(
  options: StaticOptions,
  caches: Caches,
  request: ParsedRequest,
): Reply | Promise<Reply> {
  const reply = (outcome: Outcome): Reply => replyFor(outcome, options.cacheControl);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return reply({ kind: 'method-not-allowed' });
  }
  const where = caches.targets.resolve(request.target);
  if (where.kind !== 'resolved') return reply(where);
  const asked: Asked = {
    request,
    target: where.target,
    resolved: where.resolved,
    conditions: readFileConditions(request),
    fileName: where.fileName,
    cacheKey: where.cacheKey,
    nowMs: Date.now(),
  };
  const cached = caches.files.get(asked.cacheKey, asked.nowMs);
  if (cached === undefined) return refillOnce(options, caches, asked);
  return respondCached(options, caches, asked, cached);
}

/** What the cache knows answers: a small file from memory, else where the path led. */
function respondCached(
  options: StaticOptions,
  caches: Caches,
  asked: Asked,
  cached: CacheEntry,
): Reply | Promise<Reply> {
  if (cached.version !== null && !asked.resolved.trailingSlash) {
    if (!isPlain(asked.conditions))
      return sendVersion(options, asked, cached.version, cached.fsPath);
    cached.plainReply ??= plainReplyOf(options, asked, cached.version, cached.fsPath);
    return cached.plainReply;
  }
  return respondFromDisk(options, caches, asked, cached.fsPath);
}

/**
 * A path the cache does not know is looked up on disk by one request at a time: the others that
 * ask for it meanwhile wait for that lookup and then ask the cache again. A hot small file whose
 * entry expired costs one open and one read, not one per request in flight. A path that is not
 * cached after the lookup (missing, refused) is then looked up by each waiter itself.
 */
function refillOnce(options: StaticOptions, caches: Caches, asked: Asked): Promise<Reply> {
  const { cacheKey } = asked;
  const inFlight = caches.refills.get(cacheKey);
  if (inFlight !== undefined) {
    return inFlight.then(() => {
      const cached = caches.files.get(cacheKey, Date.now());
      return cached === undefined
        ? respondFromDisk(options, caches, asked, null)
        : respondCached(options, caches, asked, cached);
    });
  }
  const answer = respondFromDisk(options, caches, asked, null);
  const forget = (): void => void caches.refills.delete(cacheKey);
  caches.refills.set(cacheKey, answer.then(forget, forget));
  return answer;
}

/** No precondition and no Range: the reply depends on the file alone. */
function isPlain(conditions: FileConditions): boolean {
  return (
    conditions.ifMatch === undefined &&
    conditions.ifNoneMatch === undefined &&
    conditions.ifModifiedSince === undefined &&
    conditions.ifUnmodifiedSince === undefined &&
    conditions.ifRange === undefined &&
    conditions.range === undefined
  );
}

/** A cached file's plain reply, its header fields serialised once for every request it answers. */
function plainReplyOf(
  options: StaticOptions,
  asked: Asked,
  version: FileVersion & { readonly source: { readonly kind: 'memory' } },
  fsPath: FileRef['fsPath'],
): Reply {
  const extra = mirrorHeaders(options, asked, version, fsPath);
  const outcome = decideFileOutcome(version, asked.fileName, asked.conditions, newBoundary, extra);
  const reply = replyFor(outcome, options.cacheControl);
  rememberFields(reply.headers);
  return reply;
}

/** What the mirror network adds to this file's 200 and 206 (nothing without one). */
function mirrorHeaders(
  options: StaticOptions,
  asked: Asked,
  version: FileVersion,
  fsPath: FileRef['fsPath'],
): HeaderList | undefined {
  const { segments } = asked.resolved;
  return options.mirror?.fileHeaders({ segments, fsPath, identity: version.identity });
}

function sendVersion(
  options: StaticOptions,
  asked: Asked,
  version: FileVersion,
  fsPath: FileRef['fsPath'],
): Reply | Promise<Reply> {
  const extra = mirrorHeaders(options, asked, version, fsPath);
  return sendFile(version, asked.fileName, asked.conditions, options.cacheControl, extra);
}

async function respondFromDisk(
  options: StaticOptions,
  caches: Caches,
  asked: Asked,
  cachedPath: Buffer | null,
): Promise<Reply> {
  const { resolved, nowMs, cacheKey } = asked;
  const cache = caches.files;
  const reply = (outcome: Outcome): Reply => replyFor(outcome, options.cacheControl);
  // A missing `NAME.meta4` is NAME's metalink, when the mirror hooks make them.
  const metalink = options.mirror?.metalink ?? null;
  const described = metalink === null ? null : describedSegments(resolved.segments);
  const missing = (failure: Outcome): Reply | Promise<Reply> =>
    failure.kind === 'not-found' && metalink !== null && described !== null
      ? serveMetalink(options, metalink, described, asked.request)
      : reply(failure);
  let fsPath: Buffer;
  if (cachedPath !== null) fsPath = cachedPath;
  else {
    const located = await locatePath(options, resolved.segments);
    if (located.kind !== 'located') return missing(located);
    fsPath = located.fsPath;
  }
  const opened = await openFile(fsPath, { noFollow: !options.followSymlinks });
  switch (opened.kind) {
    case 'file': {
      if (resolved.trailingSlash) {
        await closeFd(opened.fd);
        return reply(NOT_FOUND);
      }
      const version = await rememberFile(cache, cacheKey, fsPath, opened, nowMs);
      return sendVersion(options, asked, version, fsPath);
    }
    case 'directory':
      cache.set(cacheKey, { fsPath, version: null }, nowMs);
      return serveDirectory(options, caches.listings, {
        target: asked.target,
        ...resolved,
        fsPath,
        conditions: asked.conditions,
      });
    default:
      return missing(opened);
  }
}

/**
 * Caches where the path led and, for a small file, its bytes (read whole from this very
 * descriptor, which is then closed); returns the version this request serves.
 */
async function rememberFile(
  cache: FileCache,
  key: string,
  fsPath: Buffer,
  opened: OpenedFile,
  nowMs: number,
): Promise<FileVersion> {
  if (opened.sizeBytes > 0 && opened.sizeBytes <= SMALL_FILE_MAX_BYTES) {
    const data = await readWhole(opened.fd, opened.sizeBytes);
    if (data !== null) {
      await closeFd(opened.fd);
      const source = { kind: 'memory', data } as const;
      const version = { ...fileVersion(source, opened.identity, nowMs), source };
      cache.set(key, { fsPath, version }, nowMs);
      return version;
    }
  }
  cache.set(key, { fsPath, version: null }, nowMs);
  return fdVersion(opened, nowMs);
}
