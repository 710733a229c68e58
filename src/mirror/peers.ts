/**
 * The mirrors of this tree, as the operator listed them (`--peer`, in order of preference):
 * where the same path lives on each, and its priority (1 = most preferred, as RFC 6249's `pri`
 * and RFC 5854's `priority` count).
 */
export interface Location {
  readonly url: string;
  readonly priority: number;
}

/** `bases` are normalised base URLs without a trailing slash; `urlPath` starts with `/`. */
export function peerLocations(
  bases: readonly string[],
  urlPath: string,
  firstPriority = 1,
): Location[] {
  return bases.map((base, index) => ({
    url: `${base}${urlPath}`,
    priority: firstPriority + index,
  }));
}
