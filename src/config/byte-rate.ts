/**
 * Transfer rates as operators write them: a number and a byte unit, optionally `/s`: `500KB/s`,
 * `2MiB/s`, `1.5M`, `125000`. Decimal units (KB, MB, GB, and k, M, G) are powers of 1000; binary
 * ones (KiB, MiB, GiB) of 1024. Bits are refused: `Mbit` would be ambiguous by a factor of eight.
 */

const BYTES_PER_UNIT = {
  '': 1,
  B: 1,
  k: 1e3,
  K: 1e3,
  KB: 1e3,
  kB: 1e3,
  M: 1e6,
  MB: 1e6,
  G: 1e9,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
} as const;

const RATE = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)(?:\/s)?$/;

/** Bytes per second, rounded to a whole number, or undefined when `text` is not a rate. */
export function parseBytesPerSecond(text: string): number | undefined {
  const match = RATE.exec(text);
  if (match === null) return undefined;
  const [, amount = '', unit = ''] = match;
  if (!Object.hasOwn(BYTES_PER_UNIT, unit)) return undefined;
  return Math.round(Number(amount) * BYTES_PER_UNIT[unit as keyof typeof BYTES_PER_UNIT]);
}
