/** Human figures for terminal output, and the one neutraliser of text from elsewhere. */
export { formatBytes } from '../lifecycle/state.js';

/**
 * C0, DEL and C1 controls (ESC, CSI…) shown as `?`: every line the CLI prints from the admin
 * API or a client's request goes through this, so neither can drive the operator's terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** `42s`, `5m12s`, `3h05m`, `2d04h`. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400)
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}
