/**
 * The bytes of `/status` answers, the same as `JSON.stringify(snapshot)`. At 10,000 connections
 * they are about 2.9 MB, and building and serialising the rows on every look cost more than the
 * 50 ms a look may take (issue 15). The rows only change when a progress sample lands or the
 * connection set does (a connection accepted or closed, a phase changed, a request begun), so
 * their part is built and serialised once per change and its bytes kept: many looks between
 * two samples cost one serialisation. The rest (the clock, state, counters: a few hundred
 * bytes) is built on every look.
 *
 * What a kept answer may lag by, until the next sample (a second while anybody looks): the bytes
 * written since it, as its acknowledged bytes and rates do anyway, and a reply's status and size
 * set while its request was already being answered.
 */
import type { ConnectionsView, StatusSnapshot } from '../lifecycle/status.js';

/** An answer as written: the JSON before the rows, the rows, the JSON after them. */
export interface StatusBody {
  readonly chunks: readonly [string, Buffer, string];
  readonly byteLength: number;
}

export interface StatusSources {
  /** Changes whenever a row may have (a sample landed, the connection set changed). */
  readonly rowsVersion: () => string;
  readonly viewConnections: (limit: number, nowMs: number) => ConnectionsView;
  readonly buildStatus: (limit: number, nowMs: number, view: ConnectionsView) => StatusSnapshot;
}

/** A view's figures, its rows as bytes only (rows as objects would double what is kept). */
interface KeptView {
  readonly rowsVersion: string;
  readonly view: ConnectionsView;
  readonly rows: Buffer;
}

/** Answers are kept for this many limits at once (`ebb status`, a monitor, everything). */
const MAX_KEPT_LIMITS = 4;

export class StatusAnswers {
  private readonly kept = new Map<number, KeptView>();

  constructor(private readonly sources: StatusSources) {}

  /** `/status?limit=N` now: its rows as of the last change, the rest as of now. */
  answer(limit: number, nowMs = Date.now()): StatusBody {
    const rowsVersion = this.sources.rowsVersion();
    let kept = this.kept.get(limit);
    if (kept?.rowsVersion !== rowsVersion) {
      const view = this.sources.viewConnections(limit, nowMs);
      const rows = Buffer.from(JSON.stringify(view.connections));
      kept = { rowsVersion, view: { ...view, connections: [] }, rows };
      if (!this.kept.has(limit) && this.kept.size >= MAX_KEPT_LIMITS) this.kept.clear();
      this.kept.set(limit, kept);
    }
    return serializeStatus(this.sources.buildStatus(limit, nowMs, kept.view), kept.rows);
  }
}

/**
 * `snapshot` as JSON with `rows` (serialised already) as its connections, keys in the
 * snapshot's order: byte for byte `JSON.stringify` of the snapshot with those rows.
 */
export function serializeStatus(snapshot: StatusSnapshot, rows: Buffer): StatusBody {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  let isAfter = false;
  for (const [key, value] of Object.entries(snapshot)) {
    if (key === 'connections') isAfter = true;
    else (isAfter ? after : before)[key] = value;
  }
  const open = JSON.stringify(before).slice(0, -1);
  const close = JSON.stringify(after).slice(1);
  const head = `${open === '{' ? '{' : `${open},`}"connections":`;
  const tail = close === '}' ? '}' : `,${close}`;
  return {
    chunks: [head, rows, tail],
    byteLength: Buffer.byteLength(head) + rows.length + Buffer.byteLength(tail),
  };
}
