/**
 * HTTP-date (RFC 9110 §5.6.7) in whole seconds since the epoch. We send IMF-fixdate and
 * accept all three historical forms; anything else is null, which callers ignore.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const IMF_FIXDATE = /^[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE = /^[A-Z][a-z]+, (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

export function formatHttpDate(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toUTCString();
}

export function parseHttpDate(value: string): number | null {
  const text = value.trim();
  let match = IMF_FIXDATE.exec(text);
  if (match !== null) return toEpochSeconds(match[3], match[2], match[1], match.slice(4));
  match = RFC850_DATE.exec(text);
  if (match !== null) return toEpochSeconds(fullYear(match[3]), match[2], match[1], match.slice(4));
  match = ASCTIME_DATE.exec(text);
  if (match !== null) return toEpochSeconds(match[6], match[1], match[2], match.slice(3, 6));
  return null;
}

/** Two-digit rfc850 years: 70–99 are 19xx, 00–69 are 20xx (a fixed pivot keeps this pure). */
function fullYear(twoDigits: string | undefined): string {
  const year = Number(twoDigits);
  return String(year >= 70 ? 1900 + year : 2000 + year);
}

function toEpochSeconds(
  yearText: string | undefined,
  monthName: string | undefined,
  dayText: string | undefined,
  clock: readonly (string | undefined)[],
): number | null {
  const month = MONTHS.indexOf(monthName ?? '');
  const [year, day, hour, minute, second] = [yearText, dayText, ...clock].map(Number);
  if (month === -1 || year === undefined || day === undefined) return null;
  if (hour === undefined || minute === undefined || second === undefined) return null;
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const epochMs = Date.UTC(year, month, day, hour, minute, second);
  if (new Date(epochMs).getUTCDate() !== day) return null; // e.g. 31 Feb
  return epochMs / 1000;
}
