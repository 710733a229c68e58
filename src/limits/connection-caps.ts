/**
 * `--max-connections` and `--max-connections-per-ip`: the count of admitted connections, overall
 * and per client group, and the decision for a new one. A connection beyond a cap is not dropped
 * silently: the acceptor answers it `503` with `Retry-After` and closes it. Counts are bounded by
 * the connections open (a group's entry goes when its last connection closes).
 */
import { clientGroup } from './client-group.js';

/** The caps as configured (reloadable: the acceptor reads them per connection). */
export interface ConnectionLimits {
  readonly maxConnections: number | null;
  readonly maxConnectionsPerIp: number | null;
  readonly ipv6PrefixBits: number;
}

export type Admission =
  | { readonly kind: 'admit'; readonly group: string }
  | { readonly kind: 'refuse'; readonly over: 'total' | 'per-ip' };

/** Pure: whether one more connection fits, given how many are open overall and from its group. */
export function decideAdmission(
  openTotal: number,
  openFromGroup: number,
  limits: ConnectionLimits,
): 'admit' | 'total' | 'per-ip' {
  if (limits.maxConnections !== null && openTotal >= limits.maxConnections) return 'total';
  if (limits.maxConnectionsPerIp !== null && openFromGroup >= limits.maxConnectionsPerIp) {
    return 'per-ip';
  }
  return 'admit';
}

export interface CapCounters {
  readonly open: number;
  /** Connections open from the client group that has the most (what the per-IP cap meets). */
  readonly busiestGroupOpen: number;
  readonly refusedPerIp: number;
  readonly refusedTotal: number;
}

export class ConnectionCaps {
  private open = 0;
  private readonly byGroup = new Map<string, number>();
  private refusedPerIp = 0;
  private refusedTotal = 0;

  /** Admits (and counts) a connection from `address`, or says which cap refuses it. */
  admit(address: string, limits: ConnectionLimits): Admission {
    const group = clientGroup(address, limits.ipv6PrefixBits);
    const fromGroup = this.byGroup.get(group) ?? 0;
    const decision = decideAdmission(this.open, fromGroup, limits);
    if (decision !== 'admit') {
      if (decision === 'total') this.refusedTotal++;
      else this.refusedPerIp++;
      return { kind: 'refuse', over: decision };
    }
    this.open++;
    this.byGroup.set(group, fromGroup + 1);
    return { kind: 'admit', group };
  }

  /** An admitted connection closed. */
  release(group: string): void {
    this.open--;
    const left = (this.byGroup.get(group) ?? 1) - 1;
    if (left > 0) this.byGroup.set(group, left);
    else this.byGroup.delete(group);
  }

  /** O(client groups), which are at most the connections open: for /status, not per request. */
  get counters(): CapCounters {
    const { open, refusedPerIp, refusedTotal } = this;
    let busiestGroupOpen = 0;
    for (const count of this.byGroup.values()) busiestGroupOpen = Math.max(busiestGroupOpen, count);
    return { open, busiestGroupOpen, refusedPerIp, refusedTotal };
  }
}
