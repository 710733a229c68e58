/**
 * RFC 6249 Link fields for a file response: one `rel=duplicate` per peer, so a client cut here
 * knows where the same file lives, and the `describedby` link to its metalink. One field per
 * link rather than a comma-joined list: aria2c reads only the first link of each Link field.
 */
import type { Location } from './peers.js';
import { METALINK_TYPE } from '../serve/mirror-hooks.js';

export function linkHeaders(
  peers: readonly Location[],
  metalinkHref: string | null,
): Array<[string, string]> {
  const links: Array<[string, string]> = peers.map((peer) => [
    'Link',
    `<${peer.url}>; rel=duplicate; pri=${peer.priority}`,
  ]);
  if (metalinkHref !== null) {
    links.push(['Link', `<${metalinkHref}>; rel=describedby; type="${METALINK_TYPE}"`]);
  }
  return links;
}
