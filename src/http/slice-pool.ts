/**
 * Fixed-size body slices shared by every sender: a read fills several of them with one readv
 * (one thread-pool hand-off), and each is written on its own, so a write the client does not take
 * pins one slice, not the whole read. Free slices are reused (bounded). At most MAX_READS slice
 * reads run at once, the others wait their turn here holding no memory: a thousand clients
 * starting together would otherwise each hold a large read queued in the thread pool. The memory
 * lent at once is bounded too (a paced client keeps its granted slices across a wait).
 *
 * Two sizes (send-body.ts chooses): SLICE_BYTES for the first bytes of a client not known to be
 * slow (a small file, or a fresh send buffer, takes them whole, and fewer writes cost less),
 * SLOW_SLICE_BYTES after them or once it kept a write waiting: the write its full send buffer
 * cannot take stays pinned until the client drains half that buffer (minutes at a few KB/s), so a
 * slow client holds one such slice for as long as it downloads.
 */

export const SLICE_BYTES = 8 * 1024;
export const SLOW_SLICE_BYTES = 4 * 1024;
/** Slices lent to reads and not yet written or given back, beyond one per read. */
const MAX_LENT_BYTES = 512 * 1024;
/** Slice reads at once: as many as libuv's default thread pool has threads. */
const MAX_READS = 4;

/**
 * Free slices kept for reuse, by size, and the most bytes of each kept (more are left to the
 * garbage collector). Each size has its own bound: the large slices returned by new clients'
 * reads must not take all the room from the small ones slow clients' reads use.
 */
class FreeSlices {
  readonly slices: Buffer[] = [];
  constructor(readonly maxBytes: number) {}
}
const free = new Map<number, FreeSlices>([
  [SLICE_BYTES, new FreeSlices(256 * 1024)],
  [SLOW_SLICE_BYTES, new FreeSlices(512 * 1024)],
]);
let lentBytes = 0;
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
 * The most a read may ask for now: `wantBytes`, or less while MAX_LENT_BYTES are out (never less
 * than one slice). Asked before the rate limits are, so that a grant is read whole.
 */
export function lendableBytes(wantBytes: number): number {
  const spare = Math.max(SLICE_BYTES, MAX_LENT_BYTES - lentBytes);
  return Math.min(wantBytes, spare);
}

/** Slices of `sliceBytes` holding exactly `bytes` (the last one cut); each ends with `endLoan`. */
export function borrowSlices(bytes: number, sliceBytes: number): Buffer[] {
  const pool = free.get(sliceBytes)?.slices;
  const slices: Buffer[] = [];
  for (let left = bytes; left > 0; left -= sliceBytes) {
    const slice = pool?.pop() ?? Buffer.allocUnsafeSlow(sliceBytes);
    slices.push(left >= sliceBytes ? slice : slice.subarray(0, left));
    lentBytes += sliceBytes;
  }
  return slices;
}

/** Bytes the slices hold. */
export function bytesOf(slices: readonly Buffer[]): number {
  let total = 0;
  for (const slice of slices) total += slice.length;
  return total;
}

/** The slice is no longer held by a read (written, pinned by a write, or given back). */
export function endLoan(slice: Buffer): void {
  lentBytes -= slice.buffer.byteLength;
}

/** A slice nothing refers to any more (written whole, or never written) is reused. */
export function recycleSlice(slice: Buffer): void {
  // Each slice has its own memory (allocUnsafeSlow): its size is its buffer's.
  const sliceBytes = slice.buffer.byteLength;
  const pool = free.get(sliceBytes);
  if (pool === undefined || (pool.slices.length + 1) * sliceBytes > pool.maxBytes) return;
  // A whole slice is kept as it is; only a cut one needs a new view of its memory.
  pool.slices.push(slice.length === sliceBytes ? slice : Buffer.from(slice.buffer, 0, sliceBytes));
}

/** For tests: bytes of the slices lent now. */
export function lentSliceBytes(): number {
  return lentBytes;
}
