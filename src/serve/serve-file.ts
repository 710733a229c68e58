/**
 * Serve an open regular file: preconditions, then If-Range and Range, decided by a pure
 * function; the descriptor goes to the reply or is closed here, on every path.
 */
import type { ParsedRequest, Reply } from '../http/types.js';
import { headerValue } from '../http/types.js';
import { contentTypeFor } from './content-type.js';
import { newBoundary } from './multipart.js';
import type { HeaderList } from '../http/types.js';
import type { FileIdentity } from './file-identity.js';
import { closeFd, type OpenedFile } from './open-file.js';
import type { FileSource, Outcome, ServedFile } from './outcome.js';
import { evaluatePreconditions, isRangeFresh, type Conditionals } from './preconditions.js';
import { replyFor } from './replies.js';
import { selectRanges } from './select-ranges.js';
import { validatorsFor, type Validators } from './validators.js';

/** Files up to this size are sent whole when a Range asks for too many pieces of them. */
export const EXCESSIVE_RANGES_FULL_BODY_MAX_BYTES = 64 * 1024;

export interface FileConditions extends Conditionals {
  readonly ifRange: string | undefined;
  readonly range: string | undefined;
}

export function readFileConditions(request: ParsedRequest): FileConditions {
  return {
    ifMatch: headerValue(request, 'if-match'),
    ifNoneMatch: headerValue(request, 'if-none-match'),
    ifModifiedSince: headerValue(request, 'if-modified-since'),
    ifUnmodifiedSince: headerValue(request, 'if-unmodified-since'),
    ifRange: headerValue(request, 'if-range'),
    range: headerValue(request, 'range'),
  };
}

/**
 * A regular file as it was when it was opened: its size, its validators (computed once per
 * version, so a cached one formats no dates per request) and where its bytes are.
 */
export interface FileVersion {
  readonly source: FileSource;
  readonly sizeBytes: number;
  readonly validators: Validators;
  readonly identity: FileIdentity;
}

export function fileVersion(
  source: FileSource,
  identity: FileIdentity,
  nowMs: number,
): FileVersion {
  const { sizeBytes, mtimeMs } = identity;
  return { source, sizeBytes, validators: validatorsFor(sizeBytes, mtimeMs, nowMs), identity };
}

/** The version of a file opened for this request: its bytes come from the descriptor. */
export function fdVersion(opened: OpenedFile, nowMs = Date.now()): FileVersion {
  return fileVersion({ kind: 'fd', fd: opened.fd }, opened.identity, nowMs);
}

/**
 * The reply for a file: at once when its bytes are in memory, after closing the descriptor when
 * the reply does not take it (a 304, a 416: nothing is read from it).
 */
export function sendFile(
  version: FileVersion,
  fileName: string,
  conditions: FileConditions,
  cacheControl: string | null,
  extraHeaders: HeaderList = [],
): Reply | Promise<Reply> {
  const source = version.source;
  let reply: Reply;
  try {
    const outcome = decideFileOutcome(version, fileName, conditions, newBoundary, extraHeaders);
    reply = replyFor(outcome, cacheControl);
  } catch (error) {
    if (source.kind === 'fd') return closedThenThrown(source.fd, error);
    throw error;
  }
  if (source.kind === 'fd' && reply.fd !== source.fd) return closeFd(source.fd).then(() => reply);
  return reply;
}

async function closedThenThrown(fd: number, error: unknown): Promise<never> {
  await closeFd(fd);
  throw error;
}

/** HEAD gets exactly what GET would, Range included (the wire just sends no body). */
export function decideFileOutcome(
  version: FileVersion,
  fileName: string,
  conditions: FileConditions,
  makeBoundary: () => string,
  extraHeaders: HeaderList = [],
): Outcome {
  const { source, sizeBytes, validators } = version;
  const contentType = contentTypeFor(fileName);
  const file: ServedFile = { source, sizeBytes, contentType, validators, extraHeaders };
  switch (evaluatePreconditions(conditions, validators)) {
    case 'failed':
      return { kind: 'precondition-failed' };
    case 'not-modified':
      return { kind: 'not-modified', validators };
    case 'proceed':
      break;
  }
  const rangeHeader = conditions.range;
  if (rangeHeader === undefined || !isRangeFresh(conditions.ifRange, validators)) {
    return { kind: 'file', file };
  }
  const selection = selectRanges(sizeBytes, rangeHeader);
  switch (selection.kind) {
    case 'full':
      return { kind: 'file', file };
    case 'unsatisfiable':
      return { kind: 'range-not-satisfiable', sizeBytes };
    case 'excessive':
      // Too many ranges to answer: a small file whole costs less than refusing (and satisfies
      // any client); a large one is refused rather than sent whole for a few bytes asked.
      return sizeBytes <= EXCESSIVE_RANGES_FULL_BODY_MAX_BYTES
        ? { kind: 'file', file }
        : { kind: 'range-not-satisfiable', sizeBytes };
    case 'ranges': {
      const { ranges } = selection;
      if (ranges.length === 1) return { kind: 'partial', file, range: ranges[0], rangeHeader };
      return { kind: 'multipart', file, ranges, boundary: makeBoundary(), rangeHeader };
    }
  }
}
