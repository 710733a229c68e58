/**
 * The mirror network's hooks for `serve` (see serve/mirror-hooks.ts), built from the config:
 * Link fields naming the peers and the metalink, digests when known, and the metalink
 * document itself, listing this mirror first (as the client reached it) and then the peers.
 */
import { headerValue, type HeaderList, type ParsedRequest } from '../http/types.js';
import { METALINK_SUFFIX, type FileRef, type MirrorHooks } from '../serve/mirror-hooks.js';
import { digestHeaders } from './digest-headers.js';
import type { Digests } from './digest-queue.js';
import { linkHeaders } from './link-header.js';
import { renderMetalink } from './metalink.js';
import { peerLocations, type Location } from './peers.js';
import { encodeUrlPath } from './url-path.js';

export interface MirrorOptions {
  /** Normalised base URLs, in order of preference. */
  readonly peers: readonly string[];
  readonly digests: Digests | null;
  readonly metalink: boolean;
  /** e.g. `ebb/0.1.0`. */
  readonly generator: string;
}

/** A Host as ebb can put it in a URL: a name or IPv4 address, or a bracketed IPv6, and a port. */
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

export function createMirrorHooks(options: MirrorOptions): MirrorHooks | undefined {
  const { peers, digests, metalink, generator } = options;
  if (peers.length === 0 && digests === null && !metalink) return undefined;
  return {
    fileHeaders(file: FileRef): HeaderList {
      const urlPath = encodeUrlPath(file.segments);
      const digest = digests?.digestOf(file) ?? null;
      const metalinkHref = metalink ? `${urlPath}${METALINK_SUFFIX}` : null;
      return [
        ...linkHeaders(peerLocations(peers, urlPath), metalinkHref),
        ...(digest === null ? [] : digestHeaders(digest)),
      ];
    },
    metalink: !metalink
      ? null
      : (file: FileRef, request: ParsedRequest): string => {
          const urlPath = encodeUrlPath(file.segments);
          const self = selfLocation(request, urlPath);
          const first = self === null ? 1 : 2;
          const last = file.segments.at(-1) ?? '';
          return renderMetalink({
            name: typeof last === 'string' ? last : Buffer.from(last).toString('utf8'),
            sizeBytes: file.identity.sizeBytes,
            sha256: digests?.digestOf(file) ?? null,
            locations: [...(self === null ? [] : [self]), ...peerLocations(peers, urlPath, first)],
            generator,
          });
        },
  };
}

/** This mirror as the client reached it (ebb itself speaks plain HTTP); null without a Host. */
function selfLocation(request: ParsedRequest, urlPath: string): Location | null {
  const host = headerValue(request, 'host');
  if (host === undefined || !HOST.test(host)) return null;
  return { url: `http://${host}${urlPath}`, priority: 1 };
}
