/** The limits as `/status` shows them: what is configured and what they did. */
import type { CapCounters, ConnectionLimits } from './connection-caps.js';
import type { RateStatus } from './rate-limits.js';

export interface LimitsStatus extends RateStatus {
  readonly maxConnections: number | null;
  readonly maxConnectionsPerIp: number | null;
  /** Connections admitted and open now, and from the busiest client group (IPv4 address, /64). */
  readonly connectionsOpen: number;
  readonly busiestGroupOpen: number;
  /** Connections answered 503 since start, by the cap that refused them. */
  readonly refusedPerIp: number;
  readonly refusedTotal: number;
}

export function limitsStatus(
  limits: ConnectionLimits,
  counters: CapCounters,
  rates: RateStatus,
): LimitsStatus {
  return {
    ...rates,
    maxConnections: limits.maxConnections,
    maxConnectionsPerIp: limits.maxConnectionsPerIp,
    connectionsOpen: counters.open,
    busiestGroupOpen: counters.busiestGroupOpen,
    refusedPerIp: counters.refusedPerIp,
    refusedTotal: counters.refusedTotal,
  };
}
