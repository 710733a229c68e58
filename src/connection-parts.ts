/**
 * What connections are built with, from one config: the document root resolved, the static
 * handler, the drain's newcomer handler, the connection limits. Start-up and each reload call it.
 */
import { realpath, stat } from 'node:fs/promises';
import { EbbError } from './errors.js';
import type { ServeConfig } from './config/schema.js';
import { LINGER_MS } from './http/connection.js';
import { DEFAULT_HEAD_LIMITS } from './http/parse-request.js';
import { createStaticHandler } from './serve/handler.js';
import type { MirrorHooks } from './serve/mirror-hooks.js';
import type { ConnectionParts } from './lifecycle/acceptor.js';
import { drainNewHandler } from './lifecycle/drain-replies.js';
import type { ResponseSink } from './lifecycle/response-record.js';

export async function resolveRoot(root: string): Promise<string> {
  try {
    const real = await realpath(root);
    if ((await stat(real)).isDirectory()) return real;
  } catch (error) {
    throw new EbbError('ROOT_MISSING', `document root ${root} does not exist`, { cause: error });
  }
  throw new EbbError('ROOT_MISSING', `document root ${root} is not a directory`);
}

export function buildConnectionParts(
  config: ServeConfig,
  root: string,
  sinks: readonly ResponseSink[],
  mirror: MirrorHooks | undefined,
): ConnectionParts {
  const { index, listing, dotfiles, followSymlinks, cacheControl } = config;
  const files = { root, index, listing, dotfiles, followSymlinks, cacheControl, mirror };
  return {
    handler: createStaticHandler(files),
    newcomerHandler: drainNewHandler(config.drainNew),
    options: {
      headerTimeoutMs: config.headerTimeoutMs,
      keepaliveTimeoutMs: config.keepaliveTimeoutMs,
      writeIdleTimeoutMs: config.writeIdleTimeoutMs,
      lingerMs: LINGER_MS,
      limits: DEFAULT_HEAD_LIMITS,
    },
    sinks,
    limits: {
      maxConnections: config.maxConnections,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      ipv6PrefixBits: config.ipv6PrefixBits,
    },
  };
}
