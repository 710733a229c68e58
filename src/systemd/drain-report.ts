/**
 * What a drain tells the service manager, decided from two status snapshots: the `STATUS=` line
 * `systemctl status` shows, and how far `EXTEND_TIMEOUT_USEC=` pushes the stop timeout. Pure.
 */
import { formatBytes } from '../lifecycle/state.js';
import type { StatusSnapshot } from '../lifecycle/status.js';

/** The figures of a snapshot a drain report needs. */
export interface DrainFigures {
  readonly connections: number;
  readonly downloads: number;
  readonly bytesLeft: number;
  /** Seconds until the last download with a known rate is done; null if none has one. */
  readonly secondsLeft: number | null;
  /** Downloads with no measurable rate (stalled, or just started). */
  readonly unknown: number;
}

export function drainFigures(snapshot: StatusSnapshot): DrainFigures {
  return {
    connections: snapshot.counters.connections,
    downloads: snapshot.counters.downloadsInFlight,
    bytesLeft: snapshot.counters.bytesLeft,
    // The snapshot's forecast is 0 s when no download has a rate yet: that is no forecast.
    secondsLeft:
      snapshot.forecast.unknown === snapshot.counters.downloadsInFlight
        ? null
        : snapshot.forecast.secondsLeft,
    unknown: snapshot.forecast.unknown,
  };
}

/** `~45 s`, `~14 min`, `~2 h 05 min`: a forecast, so rounded (and never `~0 s`). */
export function formatAbout(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return `~${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `~${minutes} min`;
  return `~${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** `draining: 12 downloads, 3.1 GiB left, last done in ~14 min`. */
export function drainStatusLine(figures: DrainFigures): string {
  if (figures.downloads === 0) {
    const noun = figures.connections === 1 ? 'connection' : 'connections';
    return `draining: no download left, ${figures.connections} ${noun} closing`;
  }
  const noun = figures.downloads === 1 ? 'download' : 'downloads';
  const head = `draining: ${figures.downloads} ${noun}, ${formatBytes(figures.bytesLeft)} left`;
  if (figures.secondsLeft === null) return `${head}, no forecast yet (no download has a rate)`;
  const stalled = figures.unknown === 0 ? '' : ` (${figures.unknown} not moving)`;
  return `${head}, last done in ${formatAbout(figures.secondsLeft)}${stalled}`;
}

/** The longest extension ebb asks for at once (systemd takes microseconds in a uint64). */
export const MAX_EXTENSION_SECONDS = 24 * 3600;

/**
 * Seconds to extend the stop timeout by, or null for none. A drain that moved since the last
 * report (fewer bytes left, or fewer downloads) gets the forecast plus three report intervals,
 * so a missed report or two never lets the timeout fire on a moving drain; one that did not
 * move gets nothing, and the manager's own timeout applies. The first report of a drain has
 * no previous one: a known forecast (someone is moving now) is progress.
 */
export function extensionSeconds(
  previous: DrainFigures | null,
  now: DrainFigures,
  intervalMs: number,
): number | null {
  const moved =
    previous === null
      ? now.secondsLeft !== null
      : now.bytesLeft < previous.bytesLeft || now.downloads < previous.downloads;
  if (!moved || now.downloads === 0) return null;
  const margin = (3 * intervalMs) / 1000;
  return Math.min(MAX_EXTENSION_SECONDS, Math.ceil((now.secondsLeft ?? 0) + margin));
}
