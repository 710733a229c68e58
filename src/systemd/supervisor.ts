/**
 * The service manager's view of ebb: READY=1 once everything is bound and the pid file written,
 * STOPPING=1 the moment a drain (or an immediate stop) begins, then a STATUS= line and, while
 * downloads move, EXTEND_TIMEOUT_USEC= every report interval until the process ends. Without
 * NOTIFY_SOCKET it does nothing at all: no timer, no snapshot.
 */
import type { StatusSnapshot } from '../lifecycle/status.js';
import type { DrainSummary } from '../lifecycle/state.js';
import { formatBytes } from '../lifecycle/state.js';
import type { Notifier } from './notify.js';
import {
  drainFigures,
  drainStatusLine,
  extensionSeconds,
  type DrainFigures,
} from './drain-report.js';

/** How often a drain reports: often enough for a `systemctl status` reader, cheap at 10,000 rows. */
export const REPORT_INTERVAL_MS = 5_000;

/** The process exits within 200 ms of its last download; the last STATUS gets half of that. */
const LAST_REPORT_WAIT_MS = 100;

export interface Supervisor {
  ready(listeners: readonly string[]): void;
  drainBegan(): void;
  finished(summary: DrainSummary): Promise<void>;
}

const NO_SUPERVISOR: Supervisor = {
  ready: () => undefined,
  drainBegan: () => undefined,
  finished: () => Promise.resolve(),
};

export function createSupervisor(
  notifier: Notifier | null,
  statusNow: () => StatusSnapshot,
  intervalMs = REPORT_INTERVAL_MS,
): Supervisor {
  if (notifier === null) return NO_SUPERVISOR;
  let timer: NodeJS.Timeout | null = null;
  let previous: DrainFigures | null = null;
  const report = (fields: Record<string, string>): void => {
    const figures = drainFigures(statusNow());
    const extension = extensionSeconds(previous, figures, intervalMs);
    previous = figures;
    notifier.notify({
      ...fields,
      STATUS: drainStatusLine(figures),
      ...(extension === null ? {} : { EXTEND_TIMEOUT_USEC: String(extension * 1_000_000) }),
    });
  };
  return {
    ready(listeners) {
      notifier.notify({ READY: '1', STATUS: `serving on ${listeners.join(', ')}` });
    },
    drainBegan() {
      if (timer !== null) return;
      report({ STOPPING: '1' });
      timer = setInterval(() => report({}), intervalMs);
    },
    finished(summary) {
      if (timer !== null) clearInterval(timer);
      timer = null;
      const cut = summary.cut.length === 0 ? 'nothing cut' : `${summary.cut.length} cut`;
      notifier.notify({
        STATUS:
          `drained: ${summary.completed.count} ${summary.completed.count === 1 ? 'download' : 'downloads'} completed ` +
          `(${formatBytes(summary.completed.bytes)}), ${cut}; exit status ${summary.exitStatus}`,
      });
      return notifier.flush(LAST_REPORT_WAIT_MS);
    },
  };
}
