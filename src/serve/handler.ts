/**
 * The static-file request handler: a short line of named steps, each returning a value.
 * parse target → resolve path → confine (symlink policy) → open once + fstat → file or
 * directory. Every outcome becomes a Reply; the handler never throws and never leaks a fd.
 */
import type { ParsedRequest, Reply, RequestHandler } from '../http/types.js';
import { locatePath } from './confine-path.js';
import { internalError, NOT_FOUND } from './fs-failure.js';
import { closeFd, openFile } from './open-file.js';
import type { Outcome } from './outcome.js';
import { parseTarget } from './parse-target.js';
import { replyFor } from './replies.js';
import { resolvePath } from './resolve-path.js';
import { serveDirectory } from './serve-directory.js';
import { readFileConditions, sendFile } from './serve-file.js';

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
}

export function createStaticHandler(options: StaticOptions): RequestHandler {
  return async (request) => {
    try {
      return await respond(options, request);
    } catch (error) {
      return replyFor(internalError(error), null);
    }
  };
}

async function respond(options: StaticOptions, request: ParsedRequest): Promise<Reply> {
  const reply = (outcome: Outcome): Reply => replyFor(outcome, options.cacheControl);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return reply({ kind: 'method-not-allowed' });
  }
  const target = parseTarget(request.target);
  if (target.kind !== 'target') return reply(target);
  const resolved = resolvePath(target.rawPath, options.dotfiles);
  if (resolved.kind !== 'path') return reply(resolved);
  const located = await locatePath(options, resolved.segments);
  if (located.kind !== 'located') return reply(located);
  const opened = await openFile(located.fsPath, { noFollow: !options.followSymlinks });
  const conditions = readFileConditions(request);
  switch (opened.kind) {
    case 'file': {
      if (resolved.trailingSlash) {
        await closeFd(opened.fd);
        return reply(NOT_FOUND);
      }
      const fileName = resolved.segments.at(-1) ?? '';
      return sendFile(opened, fileName, conditions, options.cacheControl);
    }
    case 'directory':
      return serveDirectory(options, { target, ...resolved, fsPath: located.fsPath, conditions });
    default:
      return reply(opened);
  }
}
