/**
 * The request fuzzer's generator: pure and seeded, so a failing case is replayed from its seed
 * alone. A case is bytes to send (one or more request heads, grammar-generated or mutated from
 * a valid one), where to split them into writes, and whether to reset the connection part-way
 * through the request or the response.
 */

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; enough for test input. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

export interface FuzzCase {
  readonly seed: number;
  readonly bytes: Buffer;
  /** Offsets where one write ends and the next begins (ascending, inside the bytes). */
  readonly splits: readonly number[];
  readonly reset:
    | { readonly kind: 'none' }
    | { readonly kind: 'mid-request'; readonly afterBytes: number }
    | { readonly kind: 'mid-response'; readonly afterBytes: number };
}

/** Paths worth asking for under the fuzz root (see fuzz-requests.test.ts for the tree). */
export interface FuzzTree {
  readonly paths: readonly string[];
  /** Spellings that try to reach the canary outside the root. */
  readonly escapes: readonly string[];
}

const METHODS = [
  'GET',
  'GET',
  'GET',
  'GET',
  'GET',
  'HEAD',
  'HEAD',
  'POST',
  'OPTIONS',
  'PUT',
  'CONNECT',
];
const GOOD_VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'];
const BAD_VERSIONS = ['HTTP/2.0', 'HTTP/1.2', 'http/1.1', 'HTTP/1', 'HTTP/1.1 '];
const HOSTS = ['a', 'mirror.example:8080', '127.0.0.1', '[::1]:80', 'h:', '', 'a:b', 'a b', '[::1'];
const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function randomToken(random: Random, maxLength: number): string {
  let token = '';
  const length = 1 + random.below(maxLength);
  for (let i = 0; i < length; i++) token += TOKEN_CHARS.charAt(random.below(TOKEN_CHARS.length));
  return token;
}

function randomBytesText(random: Random, maxLength: number): string {
  let text = '';
  const length = random.below(maxLength + 1);
  for (let i = 0; i < length; i++) text += String.fromCharCode(random.below(256));
  return text;
}

function randomPath(random: Random, tree: FuzzTree): string {
  switch (random.below(6)) {
    case 0:
      return random.pick(tree.escapes);
    case 1: {
      // Random segments: dots, escapes of any byte, slashes.
      const pieces = ['..', '.', '%2e', '%2E%2e', '%2f', '%5c', '%00', '%ff', '%c0%ae', 'x', ''];
      let path = '';
      for (let i = random.below(6); i >= 0; i--) path += `/${random.pick(pieces)}`;
      return path + random.pick(['', '/', random.pick(tree.paths)]);
    }
    case 2:
      return `http://${random.pick(HOSTS)}${random.pick(tree.paths)}`;
    case 3:
      return `${random.pick(tree.paths)}?${randomToken(random, 12)}`;
    default:
      return random.pick(tree.paths);
  }
}

function randomRange(random: Random): string {
  const specs: string[] = [];
  for (let i = random.below(random.chance(0.1) ? 60 : 4); i >= 0; i--) {
    const start = random.below(1_200_000);
    specs.push(
      random.pick([
        `${start}-${start + random.below(5000)}`,
        `${start}-`,
        `-${random.below(3000)}`,
        `${start}-${start - 1}`,
        'x',
      ]),
    );
  }
  return `${random.pick(['bytes', 'bytes', 'Bytes', 'items'])}=${specs.join(',')}`;
}

function randomField(random: Random): string {
  switch (random.below(9)) {
    case 0:
      return `Range: ${randomRange(random)}`;
    case 1:
      return `Connection: ${random.pick(['close', 'keep-alive', 'Keep-Alive, close', 'upgrade'])}`;
    case 2:
      return `Content-Length: ${random.pick(['0', '3', '5, 5', '5, 6', '-1', '1e3'])}`;
    case 3:
      return `Transfer-Encoding: ${random.pick(['chunked', 'gzip, chunked', ' chunked'])}`;
    case 4:
      return `If-None-Match: ${random.pick(['*', '"x"', 'W/"x"', randomToken(random, 20)])}`;
    case 5:
      return `If-Range: ${random.pick(['"x"', 'Tue, 01 Dec 2026 00:00:00 GMT', 'garbage'])}`;
    case 6:
      return `Host: ${random.pick(HOSTS)}`;
    case 7:
      return `${randomToken(random, 20)}: ${randomBytesText(random, 40)}`;
    default:
      return `X-${randomToken(random, 10)}: ${randomToken(random, 60)}`;
  }
}

function plausibleField(random: Random): string {
  return random.pick([
    'User-Agent: fuzz/1.0',
    'Accept: */*',
    'Connection: keep-alive',
    'If-Modified-Since: Tue, 01 Dec 2026 00:00:00 GMT',
    `If-None-Match: "${randomToken(random, 12)}"`,
    `X-${randomToken(random, 10)}: ${randomToken(random, 30)}`,
  ]);
}

/** One request head from the grammar, with a few deliberate deviations. */
export function generateHead(random: Random, tree: FuzzTree): string {
  const method = random.chance(0.05) ? randomToken(random, 40) : random.pick(METHODS);
  const version = random.pick(random.chance(0.95) ? GOOD_VERSIONS : BAD_VERSIONS);
  const lineEnd = random.chance(0.97) ? '\r\n' : random.pick(['\n', '\r', '\r\r\n']);
  const lines = [`${method} ${randomPath(random, tree)} ${version}`];
  if (!random.chance(0.05)) lines.push(`Host: ${random.chance(0.9) ? 'a' : random.pick(HOSTS)}`);
  if (random.chance(0.3)) lines.push(`Range: ${randomRange(random)}`);
  // Most fields are well-formed; a few are the smuggling and garbage shapes.
  for (let i = random.below(3); i > 0; i--) {
    lines.push(random.chance(0.7) ? plausibleField(random) : randomField(random));
  }
  const leading = random.chance(0.1) ? '\r\n'.repeat(random.below(7)) : '';
  return leading + lines.join(lineEnd) + lineEnd + lineEnd;
}

/** Byte-level damage to a valid head: flips, inserts, deletes, duplications, truncation. */
export function mutate(random: Random, bytes: Buffer): Buffer {
  let data = Buffer.from(bytes);
  const special = [0x00, 0x0d, 0x0a, 0x20, 0x3a, 0x09, 0x7f, 0xff, 0x25, 0x2f];
  for (let i = 1 + random.below(4); i > 0; i--) {
    const at = random.below(data.length + 1);
    switch (random.below(5)) {
      case 0:
        if (at < data.length)
          data[at] = random.chance(0.5) ? random.pick(special) : random.below(256);
        break;
      case 1:
        data = Buffer.concat([
          data.subarray(0, at),
          Buffer.from([random.pick(special)]),
          data.subarray(at),
        ]);
        break;
      case 2:
        data = Buffer.concat([data.subarray(0, at), data.subarray(at + 1 + random.below(8))]);
        break;
      case 3: {
        const piece = data.subarray(at, at + 1 + random.below(40));
        data = Buffer.concat([data.subarray(0, at), piece, piece, data.subarray(at)]);
        break;
      }
      default:
        data = data.subarray(0, Math.max(1, at));
    }
  }
  return data;
}

function randomSplits(random: Random, length: number): number[] {
  if (length < 2 || random.chance(0.4)) return [];
  const splits = new Set<number>();
  for (let i = random.below(random.chance(0.2) ? 40 : 4); i >= 0; i--) {
    splits.add(1 + random.below(length - 1));
  }
  return [...splits].sort((a, b) => a - b);
}

/** The case for `seed`: the same seed always gives the same case. */
export function generateCase(seed: number, tree: FuzzTree): FuzzCase {
  const random = new Random(seed);
  const heads: string[] = [];
  for (let i = random.chance(0.2) ? 1 + random.below(3) : 0; i >= 0; i--) {
    heads.push(generateHead(random, tree));
  }
  let bytes: Buffer = Buffer.from(heads.join(''), 'latin1');
  if (random.chance(0.25)) bytes = mutate(random, bytes);
  const roll = random.next();
  const reset: FuzzCase['reset'] =
    roll < 0.1
      ? { kind: 'mid-request', afterBytes: random.below(bytes.length) }
      : roll < 0.2
        ? { kind: 'mid-response', afterBytes: random.below(200_000) }
        : { kind: 'none' };
  return { seed, bytes, splits: randomSplits(random, bytes.length), reset };
}
