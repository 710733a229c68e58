/** The limits as `/status` shows them: what is configured and what they did. */
import type { CapCounters, ConnectionLimits } from './connection-caps.js';
import type { RateStatus } from './rate-limits.js';

export interface LimitsStatus extends RateStatus {
  readonly maxConnections: number | null;
  readonly maxConnectionsPerIp: number | null;
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
    refusedPerIp: counters.refusedPerIp,
    refusedTotal: counters.refusedTotal,
  };
}
