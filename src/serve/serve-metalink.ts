/**
 * `PATH.meta4` when no such file exists: the Metalink document for PATH, if PATH is a regular
 * file the same path policy lets through. Only its fstat is needed: the descriptor is closed
 * here, and the document comes from the mirror hooks.
 */
import type { ParsedRequest, Reply } from '../http/types.js';
import { locatePath, type PathPolicy } from './confine-path.js';
import { NOT_FOUND } from './fs-failure.js';
import { METALINK_SUFFIX, METALINK_TYPE, type MirrorHooks } from './mirror-hooks.js';
import { closeFd, openFile } from './open-file.js';
import { replyFor } from './replies.js';

/** The segments of the file a `.meta4` path describes; null when it names none. */
export function describedSegments<S extends string | Uint8Array>(
  segments: readonly S[],
): S[] | null {
  const last = segments.at(-1);
  if (last === undefined) return null;
  const name = typeof last === 'string' ? last : Buffer.from(last).toString('latin1');
  if (!name.endsWith(METALINK_SUFFIX) || name.length === METALINK_SUFFIX.length) return null;
  const baseLength = name.length - METALINK_SUFFIX.length;
  const base = typeof last === 'string' ? last.slice(0, baseLength) : last.subarray(0, baseLength);
  return [...segments.slice(0, -1), base as S];
}

export async function serveMetalink(
  policy: PathPolicy,
  metalink: NonNullable<MirrorHooks['metalink']>,
  segments: Parameters<typeof locatePath>[1],
  request: ParsedRequest,
): Promise<Reply> {
  const located = await locatePath(policy, segments);
  if (located.kind !== 'located') return replyFor(located, null);
  const opened = await openFile(located.fsPath, { noFollow: !policy.followSymlinks });
  if (opened.kind !== 'file')
    return replyFor(opened.kind === 'directory' ? NOT_FOUND : opened, null);
  await closeFd(opened.fd);
  const document = metalink(
    { segments, fsPath: located.fsPath, identity: opened.identity },
    request,
  );
  const data = Buffer.from(document, 'utf8');
  return {
    status: 200,
    headers: [
      ['Content-Type', METALINK_TYPE],
      ['Content-Length', String(data.length)],
      ['X-Content-Type-Options', 'nosniff'],
    ],
    body: [{ kind: 'bytes', data }],
  };
}
