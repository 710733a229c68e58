/**
 * What the admin listener shows and controls, built over the running server's parts: the
 * status snapshot, drain control and its watchers (`ebb stop`), the live feed (the status page)
 * and the metrics. Both live views tick through one WatchedTicker each, only while watched.
 */
import type { Drain } from '../lifecycle/drain.js';
import type { GenerationRow } from '../lifecycle/handover-protocol.js';
import type { Registry } from '../lifecycle/registry.js';
import { lifecycleView, type DrainSummary } from '../lifecycle/state.js';
import {
  buildStatus,
  viewConnections,
  type ConnectionsView,
  type StatusSnapshot,
} from '../lifecycle/status.js';
import type { Warning } from '../lifecycle/warnings.js';
import type { LimitsStatus } from '../limits/limits-status.js';
import type { ProgressSampler } from '../progress/progress-sampler.js';
import { changeRoutes, type ChangeControl } from './change-routes.js';
import { controlRoutes, type AdminControl, type DrainWatcher } from './control-routes.js';
import type { ServerMetrics } from './metrics.js';
import type { AdminRoute } from './routes.js';
import { deliveredBytes, SnapshotFeed } from './snapshot-feed.js';
import { StatusAnswers } from './status-answers.js';
import { viewRoutes } from './view-routes.js';
import { WatchedTicker } from './watched-ticker.js';

export interface AdminSources {
  readonly registry: Registry;
  readonly drain: Drain;
  readonly sampler: ProgressSampler;
  readonly metrics: ServerMetrics;
  /** The public listeners' addresses now (a reload changes them). */
  readonly listenerAddresses: () => readonly string[];
  /** Older ebb processes still draining after upgrades. */
  readonly olderGenerations: () => readonly GenerationRow[];
  /** `POST /reload` and `POST /upgrade`. */
  readonly changes: ChangeControl;
  readonly startedAtMs: number;
  readonly version: string;
  /** Faults survived, for the status banner (src/lifecycle/warnings.ts). */
  readonly warnings?: () => readonly Warning[];
  /** Connection caps and rate limits, for /status. */
  readonly limits?: () => LimitsStatus;
}

export interface AdminViews {
  readonly routes: readonly AdminRoute[];
  /** A status snapshot of up to `limit` rows (the systemd supervisor's drain reports use it). */
  readonly statusNow: (limit: number) => StatusSnapshot;
  /** Tells every watcher and viewer how the drain ended, and stops their ticks. */
  finish(summary: DrainSummary): void;
}

const WATCH_INTERVAL_MS = 1000;

/**
 * Changes whenever a status row may have: a sample landed (acknowledged bytes, rates), a
 * connection came or went, one changed phase or began a request (the registry counts each).
 */
function rowsVersion(registry: Registry, sampler: ProgressSampler): string {
  const counts = registry.phaseCounts;
  return [
    sampler.samplesTaken,
    registry.acceptedTotal,
    registry.requestsTotal,
    registry.size,
    counts.reading,
    counts.idle,
    counts.responding,
    counts.delivering,
  ].join(' ');
}

export function createAdminViews(sources: AdminSources): AdminViews {
  const { registry, drain, sampler } = sources;
  const statusAt = (limit: number, nowMs: number, view?: ConnectionsView): StatusSnapshot =>
    buildStatus(
      {
        registry,
        state: lifecycleView(drain.state),
        startedAtMs: sources.startedAtMs,
        version: sources.version,
        listeners: sources.listenerAddresses(),
        olderGenerations: sources.olderGenerations(),
        warnings: sources.warnings?.() ?? [],
        healthCheckers: drain.healthCheckers.active(Date.now()),
        ...(sources.limits === undefined ? {} : { limits: sources.limits() }),
      },
      limit,
      nowMs,
      view,
    );
  const statusNow = (limit: number): StatusSnapshot => statusAt(limit, Date.now());
  const answers = new StatusAnswers({
    rowsVersion: () => rowsVersion(registry, sampler),
    viewConnections: (limit, nowMs) => viewConnections(registry, limit, nowMs),
    buildStatus: statusAt,
  });
  // `ebb stop` watchers: one shared one-row snapshot a second.
  const watchers = new WatchedTicker<DrainWatcher>(WATCH_INTERVAL_MS, (all) => {
    const snapshot = statusNow(1);
    for (const watcher of all) watcher.progress(snapshot);
  });
  const control: AdminControl = {
    async status(limit) {
      await sampler.demandFresh();
      return answers.answer(limit);
    },
    state: () => lifecycleView(drain.state),
    drain: (timeoutMs) => void drain.drain({ trigger: 'admin', timeoutMs }),
    stop: () => void drain.stop('admin'),
    readinessAnswered: (poll) => drain.healthCheckers.record(poll, Date.now()),
    // A first line at once: a drain delay of a few seconds is over before the first tick.
    watch: (watcher) => {
      watcher.progress(statusNow(1));
      return watchers.subscribe(watcher);
    },
  };
  const feed = new SnapshotFeed(
    (limit) => {
      sampler.demand();
      return statusNow(limit);
    },
    () => deliveredBytes(registry),
  );
  return {
    routes: [
      ...controlRoutes(control),
      ...changeRoutes(sources.changes),
      ...viewRoutes(feed, sources.metrics),
    ],
    statusNow,
    finish(summary) {
      for (const watcher of watchers.drainWatchers()) watcher.finished(summary);
      feed.finish(summary);
    },
  };
}
