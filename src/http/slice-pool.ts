/**
 * Fixed-size body slices shared by every sender: a read fills several of them with one readv
 * (one thread-pool hand-off), and each is written on its own, so a write the client does not take
 * pins one slice, not the whole read. Free slices are reused (bounded). At most MAX_READS slice
 * reads run at once, the others wait their turn here holding no memory: a thousand clients
 * starting together would otherwise each hold a large read queued in the thread pool. The slices
 * lent at once are bounded too (a paced client keeps its granted slices across a wait).
 */

export const SLICE_BYTES = 8 * 1024;
/** Free slices kept for reuse (512 KiB); more are left to the garbage collector. */
const MAX_FREE_SLICES = 64;
/** Slices lent to reads and not yet written or given back, beyond one per read (512 KiB). */
const MAX_LENT_SLICES = 64;
/** Slice reads at once: as many as libuv's default thread pool has threads. */
const MAX_READS = 4;

const free: Buffer[] = [];
let lent = 0;
let reads = 0;
/** Senders waiting for a read turn, first come first served. */
const waiting = new Set<() => void>();

/**
 * Calls `start` when a read may begin: now, or once a read ends (`leaveReadQueue` withdraws it).
 * A sender passes the same function every time, so waiting costs no allocation.
 */
export function awaitReadTurn(start: () => void): void {
  if (reads < MAX_READS) {
    reads++;
    start();
    return;
  }
  waiting.add(start);
}

/** A stopped sender no longer waits for its turn. */
export function leaveReadQueue(start: () => void): void {
  waiting.delete(start);
}

/** A read that had its turn completed: the next waiting sender starts. */
export function endReadTurn(): void {
  const next = waiting.values().next();
  if (next.done === true) {
    reads--;
    return;
  }
  waiting.delete(next.value);
  next.value();
}

/**
 * The most a read may ask for now: `wantBytes`, or less while MAX_LENT_SLICES are out (never less
 * than one slice). Asked before the rate limits are, so that a grant is read whole.
 */
export function lendableBytes(wantBytes: number): number {
  const spare = Math.max(1, MAX_LENT_SLICES - lent) * SLICE_BYTES;
  return Math.min(wantBytes, spare);
}

/** Slices holding exactly `bytes` (the last one cut to fit); each loan ends with `endLoan`. */
export function borrowSlices(bytes: number): Buffer[] {
  const slices: Buffer[] = [];
  for (let left = bytes; left > 0; left -= SLICE_BYTES) {
    const slice = free.pop() ?? Buffer.allocUnsafeSlow(SLICE_BYTES);
    slices.push(left >= SLICE_BYTES ? slice : slice.subarray(0, left));
  }
  lent += slices.length;
  return slices;
}

/** Bytes the slices hold. */
export function bytesOf(slices: readonly Buffer[]): number {
  let total = 0;
  for (const slice of slices) total += slice.length;
  return total;
}

/** `count` slices are no longer held by a read (written, pinned by a write, or given back). */
export function endLoan(count: number): void {
  lent -= count;
}

/** A slice nothing refers to any more (written whole, or never written) is reused. */
export function recycleSlice(slice: Buffer): void {
  if (free.length >= MAX_FREE_SLICES) return;
  // A whole slice is kept as it is; only a cut one needs a new view of its memory.
  free.push(slice.length === SLICE_BYTES ? slice : Buffer.from(slice.buffer, 0, SLICE_BYTES));
}

/** For tests: slices lent now. */
export function lentSlices(): number {
  return lent;
}
