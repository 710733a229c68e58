/**
 * The command line of `npm run bench -- [flags]`, and the durations and counts each flag implies.
 */
import { parseArgs } from 'node:util';
import type { BenchNet } from './mirror-net.js';

export const SERVER_NAMES = ['ebb', 'nginx', 'lighttpd', 'express', 'fastify'] as const;
/** The servers `--only` picks from, and the floors `--slow-floor` and `--request-floor` add. */
export type ServerName = (typeof SERVER_NAMES)[number] | 'node-floor' | 'node-http';

export const SECTION_NAMES = [
  'wrk',
  'large',
  'slow',
  'listing',
  'status',
  'mix',
  'tls',
  'rates',
] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly rounds: number;
  readonly servers: readonly ServerName[];
  readonly skip: ReadonlySet<SectionName>;
  readonly wrkDurationS: number;
  readonly wrkWarmupS: number;
  /** Warm each server process up once, before its first wrk case, not before every case. */
  readonly wrkWarmupOnce: boolean;
  readonly wrkConnections: number;
  /** Slow-client counts; the last one is the large run (one round only). */
  readonly slowCounts: readonly number[];
  readonly slowHoldS: number;
  readonly slowRateBytesPerS: number;
  readonly slowRcvbufBytes: number;
  /** Also run the Node peers in the smallest slow-client run. */
  readonly slowPeers: boolean;
  /** Also run bench/peers/node-floor.ts there: Node's floor for CPU per byte with write(2). */
  readonly slowFloor: boolean;
  /** Also run bench/peers/node-http.ts in the wrk cases: `node:http` answering from memory. */
  readonly requestFloor: boolean;
  readonly largeClients: number;
  /** The mirror mix: small requests per second, and for how long, beside the slow clients. */
  readonly mixRatePerS: number;
  readonly mixDurationS: number;
  /** The rate limiter's measuring window per run. */
  readonly rateWindowS: number;
  readonly bigFileBytes: number;
  /** Servers on CPU 0, clients on CPU 1. */
  readonly pin: boolean;
  /** The network asked for (mirror-net.ts): a namespace with a 1,500-byte loopback, or the host's. */
  readonly net: BenchNet;
}

export const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [--only ebb,nginx] [--skip slow,large]
  --quick        one round, short durations, 200 slow clients: a smoke run (< 2 min; wrk 1 s
                 after one warmup per server, 2 large downloads, slow clients held 6 s, mix 2 s)
  --rounds N     interleaved rounds (default 3; --quick: 1)
  --only LIST    servers to run: ${SERVER_NAMES.join(',')}
  --skip LIST    sections to skip: ${SECTION_NAMES.join(',')}
  --slow-counts LIST  slow-client counts (default 1000,10000; --quick: 200)
  --slow-hold S  seconds the slow clients are held after connecting (default 75; --quick: 6)
  --slow-peers   also hold the smallest slow-client run against express and fastify
  --slow-floor   and against node-floor (bench/peers/node-floor.ts): 64 KiB synchronous reads
                 and writes, nothing else, the least CPU per byte a Node server can spend
  --request-floor  run node-http (bench/peers/node-http.ts) in the wrk cases too: Node's own
                 http server answering /1k.bin and /100k.bin from memory
  --no-pin       do not pin servers to CPU 0 and clients to CPU 1 (taskset)
  --net host     run on the host's loopback (MTU 65536), not in a private network namespace
                 whose loopback has a 1,500-byte MTU (the default, as root)`;

function parseList<T extends string>(text: string, allowed: readonly T[], flag: string): T[] {
  const items = text.split(',').filter((item) => item !== '');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new Error(`${flag}: unknown "${item}" (one of ${allowed.join(', ')})`);
    }
  }
  return items as T[];
}

function positiveNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${flag}: not a positive number: ${text}`);
  return value;
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      only: { type: 'string' },
      skip: { type: 'string', default: '' },
      'slow-counts': { type: 'string' },
      'slow-hold': { type: 'string' },
      'slow-peers': { type: 'boolean', default: false },
      'slow-floor': { type: 'boolean', default: false },
      'request-floor': { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      net: { type: 'string', default: 'mirror' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  const quick = values.quick;
  const rounds = values.rounds === undefined ? (quick ? 1 : 3) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds: not a count: ${values.rounds}`);
  const [net] = parseList(values.net, ['mirror', 'host'] as const, '--net');
  if (net === undefined) throw new Error('--net: mirror or host');
  return {
    quick,
    rounds,
    servers:
      values.only === undefined ? SERVER_NAMES : parseList(values.only, SERVER_NAMES, '--only'),
    skip: new Set(parseList(values.skip, SECTION_NAMES, '--skip')),
    // A smoke run: every figure, from the shortest runs that still give one.
    wrkDurationS: quick ? 1 : 5,
    wrkWarmupS: 1,
    wrkWarmupOnce: quick,
    wrkConnections: 50,
    slowCounts:
      values['slow-counts'] === undefined
        ? quick
          ? [200]
          : [1_000, 10_000]
        : values['slow-counts'].split(',').map((text) => positiveNumber(text, '--slow-counts')),
    slowHoldS:
      values['slow-hold'] === undefined
        ? quick
          ? 6
          : 75
        : positiveNumber(values['slow-hold'], '--slow-hold'),
    slowRateBytesPerS: 4096,
    slowRcvbufBytes: 4096,
    slowPeers: values['slow-peers'],
    slowFloor: values['slow-floor'],
    requestFloor: values['request-floor'],
    largeClients: quick ? 2 : 4,
    mixRatePerS: 50,
    mixDurationS: quick ? 2 : 20,
    rateWindowS: quick ? 2 : 10,
    bigFileBytes: 512 * 1024 * 1024,
    pin: !values['no-pin'],
    net,
  };
}
