/** Entity-tag lists (RFC 9110 §8.8.3) and the strong and weak comparison functions. */

export interface EntityTag {
  readonly weak: boolean;
  /** The opaque-tag including its double quotes. */
  readonly opaque: string;
}

const ENTITY_TAG = /(W\/)?("[\x21\x23-\x7e\x80-\xff]*")/y;
const LIST_SEPARATOR = /[ \t,]/;

/**
 * Parse `*` or a comma-separated list of entity-tags. Parsing stops at the first malformed
 * element and keeps what came before it: a malformed tag can never match.
 */
export function parseEntityTags(value: string): '*' | EntityTag[] {
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  let index = 0;
  while (index < value.length) {
    if (LIST_SEPARATOR.test(value.charAt(index))) {
      index += 1;
      continue;
    }
    ENTITY_TAG.lastIndex = index;
    const match = ENTITY_TAG.exec(value);
    if (match === null) break;
    tags.push({ weak: match[1] !== undefined, opaque: match[2] ?? '' });
    index = ENTITY_TAG.lastIndex;
  }
  return tags;
}

/** `ours` is our own tag as sent: strong `"abc-10"`, or weak `W/"abc-10"` (never matches). */
export function matchesStrongly(tag: EntityTag, ours: string): boolean {
  return !tag.weak && !isWeak(ours) && tag.opaque === ours;
}

export function matchesWeakly(tag: EntityTag, ours: string): boolean {
  return tag.opaque === (isWeak(ours) ? ours.slice(2) : ours);
}

function isWeak(ours: string): boolean {
  return ours.startsWith('W/');
}
