/**
 * Conditional requests, evaluated in the order of RFC 9110 §13.2.2 for GET and HEAD.
 * `validators` is null for a representation without them (a generated listing): then only
 * `*` can match, and the date conditions are ignored.
 */
import { matchesStrongly, matchesWeakly, parseEntityTags } from './entity-tags.js';
import { parseHttpDate } from './http-date.js';
import type { Validators } from './validators.js';

export interface Conditionals {
  readonly ifMatch: string | undefined;
  readonly ifNoneMatch: string | undefined;
  readonly ifModifiedSince: string | undefined;
  readonly ifUnmodifiedSince: string | undefined;
}

export type PreconditionResult = 'proceed' | 'not-modified' | 'failed';

export function evaluatePreconditions(
  conditionals: Conditionals,
  validators: Validators | null,
): PreconditionResult {
  if (conditionals.ifMatch !== undefined) {
    if (!ifMatchPasses(conditionals.ifMatch, validators)) return 'failed';
  } else if (conditionals.ifUnmodifiedSince !== undefined) {
    if (isModifiedSince(conditionals.ifUnmodifiedSince, validators) === true) return 'failed';
  }
  if (conditionals.ifNoneMatch !== undefined) {
    if (ifNoneMatchMatches(conditionals.ifNoneMatch, validators)) return 'not-modified';
  } else if (conditionals.ifModifiedSince !== undefined) {
    if (isModifiedSince(conditionals.ifModifiedSince, validators) === false) return 'not-modified';
  }
  return 'proceed';
}

/**
 * If-Range (RFC 9110 §13.1.5): true when the Range may be honoured. An entity-tag must match
 * strongly; a date must equal Last-Modified exactly; anything else sends the full 200.
 */
export function isRangeFresh(ifRange: string | undefined, validators: Validators | null): boolean {
  if (ifRange === undefined) return true;
  if (validators === null) return false;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    const tags = parseEntityTags(value);
    return (
      tags !== '*' && tags.length === 1 && tags.some((t) => matchesStrongly(t, validators.etag))
    );
  }
  return parseHttpDate(value) === validators.lastModifiedSeconds;
}

function ifMatchPasses(value: string, validators: Validators | null): boolean {
  const tags = parseEntityTags(value);
  if (tags === '*') return true;
  return validators !== null && tags.some((tag) => matchesStrongly(tag, validators.etag));
}

function ifNoneMatchMatches(value: string, validators: Validators | null): boolean {
  const tags = parseEntityTags(value);
  if (tags === '*') return true;
  return validators !== null && tags.some((tag) => matchesWeakly(tag, validators.etag));
}

/** null when the date is invalid or there is no Last-Modified: the condition is ignored. */
function isModifiedSince(value: string, validators: Validators | null): boolean | null {
  const since = parseHttpDate(value);
  if (since === null || validators === null) return null;
  return validators.lastModifiedSeconds > since;
}
