/**
 * Human durations as operators write them: a number (integer or decimal) and a unit, e.g.
 * `500ms`, `30s`, `1.5m`, `2h`, `1d`. Bare numbers are refused: `30` could be seconds or ms.
 */

const MS_PER_UNIT = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

type Unit = keyof typeof MS_PER_UNIT;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Node's timers cannot wait longer than 2^31 - 1 ms (about 24.8 days); longer fires at once. */
export const MAX_DURATION_MS = 24 * MS_PER_UNIT.d;

/** Milliseconds (rounded to a whole number), or undefined when `text` is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  const [, amount = '', unit = ''] = match;
  if (!isUnit(unit)) return undefined;
  return Math.round(Number(amount) * MS_PER_UNIT[unit]);
}

function isUnit(text: string): text is Unit {
  return Object.hasOwn(MS_PER_UNIT, text);
}
