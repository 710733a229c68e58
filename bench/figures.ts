/**
 * What the suite reports: one row per figure, in print order, and the targets ebb is held to.
 */

export interface Figure {
  readonly id: string;
  readonly label: string;
  readonly decimals: number;
  /** Printed beside the label, e.g. "1 round". */
  readonly note?: string;
  /** Latencies, CPU and memory: the best Node peer is the one with the lowest median. */
  readonly lowerIsBetter?: boolean;
}

const LOWER = { lowerIsBetter: true } as const;

export type Target =
  | { readonly kind: 'ratio-at-least'; readonly figure: string; readonly ratio: number }
  | { readonly kind: 'ratio-at-most'; readonly figure: string; readonly ratio: number }
  | { readonly kind: 'at-most'; readonly figure: string; readonly limit: number }
  | { readonly kind: 'below'; readonly figure: string; readonly limit: number }
  | { readonly kind: 'at-least'; readonly figure: string; readonly limit: number };

export const WRK_CASES = [
  { key: '1k', path: '/1k.bin', label: '1 KiB' },
  { key: '100k', path: '/100k.bin', label: '100 KiB' },
] as const;

export type LogMode = 'off' | 'on';

/** Parts of a slow-client run: while the send buffers fill, after, and both. */
export type SlowWindow = 'ramp' | 'steady' | 'all';

export const figureIds = {
  rps: (key: string, log: LogMode) => `rps-${key}-log-${log}`,
  p99: (key: string, log: LogMode) => `p99-${key}-log-${log}`,
  listingRps: 'rps-listing',
  largeMBps: 'large-mb-per-s',
  largeCpu: 'large-cpu-s-per-gib',
  slowRssPerConn: (n: number) => `slow-${n}-rss-kib-per-conn`,
  slowRss: (n: number) => `slow-${n}-rss-mib`,
  slowCpu: (n: number) => `slow-${n}-cpu-pct`,
  slowCpuPerGiB: (n: number, window: SlowWindow) => `slow-${n}-cpu-s-per-gib-${window}`,
  slowAlive: (n: number) => `slow-${n}-alive`,
  slowProgressing: (n: number) => `slow-${n}-progressing`,
  statusMs: (n: number) => `status-ms-${n}`,
  mixP50: (n: number) => `mix-${n}-p50-ms`,
  mixP99: (n: number) => `mix-${n}-p99-ms`,
};

export interface FigurePlan {
  readonly slowCounts: readonly number[];
  readonly slowRoundsByCount: ReadonlyMap<number, number>;
  readonly largeClients: number;
  readonly holdS: number;
}

function roundsNote(rounds: number | undefined): { note?: string } {
  return rounds === 1 ? { note: '1 round' } : {};
}

export function listFigures(plan: FigurePlan): Figure[] {
  const figures: Figure[] = [];
  for (const log of ['off', 'on'] as const) {
    for (const { key, label } of WRK_CASES) {
      figures.push({
        id: figureIds.rps(key, log),
        label: `${label} req/s, log ${log}`,
        decimals: 0,
      });
      figures.push({
        id: figureIds.p99(key, log),
        label: `${label} p99 ms, log ${log}`,
        decimals: 2,
        ...LOWER,
      });
    }
  }
  figures.push({ id: figureIds.listingRps, label: 'listing (200 files) req/s', decimals: 0 });
  const big = `512 MiB x${plan.largeClients}`;
  figures.push({ id: figureIds.largeMBps, label: `${big} MB/s`, decimals: 0 });
  figures.push({ id: figureIds.largeCpu, label: `${big} CPU s/GiB`, decimals: 2, ...LOWER });
  for (const n of plan.slowCounts) {
    const note = roundsNote(plan.slowRoundsByCount.get(n));
    const slow = `slow ${n.toLocaleString('en-US')}`;
    figures.push(
      {
        id: figureIds.slowRssPerConn(n),
        label: `${slow}: RSS KiB/conn`,
        decimals: 1,
        ...note,
        ...LOWER,
      },
      { id: figureIds.slowRss(n), label: `${slow}: RSS MiB`, decimals: 0, ...note, ...LOWER },
      {
        id: figureIds.slowCpu(n),
        label: `${slow}: CPU % (${plan.holdS} s)`,
        decimals: 1,
        ...note,
        ...LOWER,
      },
      {
        id: figureIds.slowCpuPerGiB(n, 'all'),
        label: `${slow}: CPU s/GiB delivered`,
        decimals: 2,
        ...note,
        ...LOWER,
      },
      {
        id: figureIds.slowCpuPerGiB(n, 'ramp'),
        label: `${slow}: CPU s/GiB, ramp`,
        decimals: 2,
        ...note,
        ...LOWER,
      },
      {
        id: figureIds.slowCpuPerGiB(n, 'steady'),
        label: `${slow}: CPU s/GiB, steady`,
        decimals: 2,
        ...note,
        ...LOWER,
      },
      { id: figureIds.slowAlive(n), label: `${slow}: alive`, decimals: 0, ...note },
      { id: figureIds.slowProgressing(n), label: `${slow}: progressing`, decimals: 0, ...note },
    );
  }
  const smallest = plan.slowCounts[0];
  if (smallest !== undefined) {
    const mix = `mirror mix beside ${smallest.toLocaleString('en-US')} slow`;
    figures.push(
      { id: figureIds.mixP50(smallest), label: `${mix}: small p50 ms`, decimals: 2, ...LOWER },
      { id: figureIds.mixP99(smallest), label: `${mix}: small p99 ms`, decimals: 2, ...LOWER },
    );
  }
  const largest = plan.slowCounts.at(-1);
  if (largest !== undefined) {
    figures.push({
      id: figureIds.statusMs(largest),
      label: `/status ms, ${largest.toLocaleString('en-US')} conns`,
      decimals: 2,
      ...LOWER,
      ...roundsNote(plan.slowRoundsByCount.get(largest)),
    });
  }
  return figures;
}

export function listTargets(plan: FigurePlan): Target[] {
  const targets: Target[] = [
    { kind: 'ratio-at-least', figure: figureIds.rps('1k', 'off'), ratio: 0.7 },
    // Issue 15: every operator logs, so the log-on rates are held to what the log-off one is.
    { kind: 'ratio-at-least', figure: figureIds.rps('1k', 'on'), ratio: 0.7 },
    { kind: 'ratio-at-least', figure: figureIds.rps('100k', 'off'), ratio: 0.5 },
    { kind: 'ratio-at-least', figure: figureIds.rps('100k', 'on'), ratio: 0.7 },
    { kind: 'ratio-at-least', figure: figureIds.largeMBps, ratio: 0.6 },
    { kind: 'ratio-at-most', figure: figureIds.largeCpu, ratio: 3 },
    { kind: 'ratio-at-least', figure: figureIds.listingRps, ratio: 1 },
  ];
  const smallest = plan.slowCounts[0];
  if (smallest !== undefined) {
    targets.push(
      { kind: 'at-most', figure: figureIds.slowRssPerConn(smallest), limit: 24 },
      { kind: 'ratio-at-most', figure: figureIds.slowCpuPerGiB(smallest, 'all'), ratio: 3 },
    );
  }
  const largest = plan.slowCounts.at(-1);
  if (largest !== undefined) {
    targets.push(
      { kind: 'at-least', figure: figureIds.slowAlive(largest), limit: largest },
      { kind: 'at-least', figure: figureIds.slowProgressing(largest), limit: largest },
      { kind: 'at-most', figure: figureIds.slowRss(largest), limit: 400 },
      { kind: 'below', figure: figureIds.slowCpu(largest), limit: 25 },
      { kind: 'at-most', figure: figureIds.statusMs(largest), limit: 20 },
    );
  }
  return targets;
}

export function describeTarget(target: Target): string {
  switch (target.kind) {
    case 'ratio-at-least':
      return `>= ${target.ratio}x nginx`;
    case 'ratio-at-most':
      return `<= ${target.ratio}x nginx`;
    case 'at-most':
      return `<= ${target.limit}`;
    case 'below':
      return `< ${target.limit}`;
    case 'at-least':
      return `>= ${target.limit}`;
  }
}

/** Whether ebb's median meets the target; `nginxMedian` is needed for ratio targets. */
export function meetsTarget(
  target: Target,
  ebbMedian: number,
  nginxMedian: number | undefined,
): boolean | undefined {
  switch (target.kind) {
    case 'ratio-at-least':
      return nginxMedian === undefined ? undefined : ebbMedian >= target.ratio * nginxMedian;
    case 'ratio-at-most':
      return nginxMedian === undefined ? undefined : ebbMedian <= target.ratio * nginxMedian;
    case 'at-most':
      return ebbMedian <= target.limit;
    case 'below':
      return ebbMedian < target.limit;
    case 'at-least':
      return ebbMedian >= target.limit;
  }
}
