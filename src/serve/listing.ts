/**
 * The HTML page listing a directory: parent link (except at the root), directories first,
 * then files, each sorted by name in byte order (like `LC_ALL=C ls`). Hrefs percent-encode
 * the name's raw bytes, with a trailing `/` for directories, so every name links to itself;
 * the text shows it as UTF-8 with invalid sequences replaced, HTML-escaped.
 */
import escapeHtml from 'escape-html';
import { displayName, percentEncodeBytes } from './byte-path.js';
import type { ListingEntry } from './read-directory.js';

/** `urlPath` is the decoded directory path, starting and ending with `/`. */
export function renderListing(urlPath: string, entries: readonly ListingEntry[]): string {
  const title = `Index of ${escapeHtml(urlPath)}`;
  const rows = sortEntries(entries).map(renderRow);
  if (urlPath !== '/') rows.unshift('<tr><td><a href="../">../</a></td><td></td><td></td></tr>');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><title>${title}</title>`,
    '<style>body{font-family:monospace}td{padding:0 1em 0 0}td+td{text-align:right}</style>',
    '</head>',
    `<body><h1>${title}</h1>`,
    '<table><thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table></body></html>',
    '',
  ].join('\n');
}

export function sortEntries(entries: readonly ListingEntry[]): ListingEntry[] {
  return [...entries].sort((a, b) => {
    if (a.isDirectory !== b.isDirectory) return a.isDirectory ? -1 : 1;
    return Buffer.compare(a.name, b.name);
  });
}

/** UTC `YYYY-MM-DD HH:MM`. */
export function formatListingTime(mtimeMs: number): string {
  return new Date(mtimeMs).toISOString().slice(0, 16).replace('T', ' ');
}

function renderRow(entry: ListingEntry): string {
  const suffix = entry.isDirectory ? '/' : '';
  const href = escapeHtml(percentEncodeBytes(entry.name) + suffix);
  const label = escapeHtml(displayName(entry.name) + suffix);
  const size = entry.isDirectory ? '-' : String(entry.sizeBytes);
  return `<tr><td><a href="${href}">${label}</a></td><td>${size}</td><td>${formatListingTime(entry.mtimeMs)}</td></tr>`;
}
