/**
 * The one renderer of how a drain ended, for the server's last lines, `ebb stop` and `ebb top`
 * (the status page's script renders its own: it runs in the browser and imports types only).
 */
import { formatBytes, type CutDownload, type DrainSummary } from './state.js';

/** `cut (deadline): [::1]:5123 /a.iso 1000 of 4096 bytes`. */
export function describeCut(cut: CutDownload): string {
  return `cut (${cut.reason}): ${cut.client} ${cut.path} ${cut.bytesSent} of ${cut.bytesDue} bytes`;
}

export interface RenderedSummary {
  /** `12.3`: the drain's duration in seconds. */
  readonly seconds: string;
  /** `3 downloads completed (1.5 GiB), 1 cut`. */
  readonly counts: string;
  /** One `cut (…)` line per cut download. */
  readonly cutLines: readonly string[];
}

export function renderDrainSummary(summary: DrainSummary): RenderedSummary {
  return {
    seconds: (summary.durationMs / 1000).toFixed(1),
    counts:
      `${summary.completed.count} downloads completed ` +
      `(${formatBytes(summary.completed.bytes)}), ${summary.cut.length} cut`,
    cutLines: summary.cut.map(describeCut),
  };
}

/** The server's own last lines (stderr). */
export function drainSummaryLines(summary: DrainSummary): string[] {
  const { seconds, counts, cutLines } = renderDrainSummary(summary);
  return [
    `drain finished in ${seconds} s: ${counts}; exit status ${summary.exitStatus}`,
    ...cutLines.map((line) => `  ${line}`),
  ];
}
