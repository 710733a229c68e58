import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  FLUSH_AFTER_MS,
  FLUSH_BYTES,
  MAX_QUEUED_BYTES,
  writerSink,
  type SinkEvents,
} from '../../../src/log/log-sinks.js';

/** A disk that is full until `free()`, and takes at most `maxBytes` per write (a short write). */
function fakeDisk(maxBytes = Infinity) {
  let full = false;
  const written: Buffer[] = [];
  let wrote: () => void = () => undefined;
  return {
    written,
    fill: () => void (full = true),
    free: () => void (full = false),
    /** Resolves at the next successful write. */
    nextWrite: () => new Promise<void>((resolve) => (wrote = resolve)),
    writeOnce: (data: Buffer): Promise<number> => {
      if (full) {
        const error = Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
        return Promise.reject(error);
      }
      const n = Math.min(data.length, maxBytes);
      written.push(Buffer.from(data.subarray(0, n)));
      wrote();
      return Promise.resolve(n);
    },
  };
}

function recorder() {
  const seen: string[] = [];
  let dropped = 0;
  const events: SinkEvents = {
    failed: (why) => seen.push(`failed ${why}`),
    wrote: () => (seen.at(-1) === 'wrote' ? undefined : seen.push('wrote')),
    dropped: (lines) => (dropped += lines),
  };
  return { seen, events, dropped: () => dropped };
}

test('short writes are continued: every line arrives whole, in order', async () => {
  const disk = fakeDisk(7);
  const { events } = recorder();
  const sink = writerSink(disk.writeOnce, () => Promise.resolve(), events);
  const lines = Array.from({ length: 20 }, (_, i) => `line ${i} of twenty\n`);
  for (const line of lines) sink.append(line);
  await sink.close();
  assert.equal(Buffer.concat(disk.written).toString(), lines.join(''));
});

test('a full disk: the failure is reported, lines wait within the bound, writing resumes by itself', async () => {
  const disk = fakeDisk();
  const { seen, events, dropped } = recorder();
  const sink = writerSink(disk.writeOnce, () => Promise.resolve(), events);
  disk.fill();
  sink.append('before the retry\n');
  const line = `${'x'.repeat(1023)}\n`;
  for (let i = 0; i < 2 * (MAX_QUEUED_BYTES / 1024); i++) sink.append(line);
  assert.ok(dropped() >= MAX_QUEUED_BYTES / 1024 - 1, `dropped ${dropped()}`);
  const resumed = disk.nextWrite();
  disk.free();
  // The sink's retry timer does not hold the process open; this test waits for it.
  const keepAlive = setTimeout(() => undefined, 10_000);
  await resumed; // the retry, not a new line, brought it back
  clearTimeout(keepAlive);
  await sink.close();
  assert.equal(seen[0], 'failed ENOSPC');
  assert.equal(seen.at(-1), 'wrote');
  const text = Buffer.concat(disk.written).toString();
  assert.ok(text.startsWith('before the retry\n'));
  assert.equal(text.length % 1024, 17 % 1024);
  assert.ok(
    text
      .split('\n')
      .slice(1, -1)
      .every((l) => l.length === 1023),
    'no line spliced',
  );
});

test('lines that come while a write is in flight wait for the next flush, not a write each', async () => {
  // A line every event-loop turn and a disk that takes ten turns per write: a busy server.
  // Each write should carry about FLUSH_BYTES, not the ten lines that came during the last.
  const writes: Buffer[] = [];
  const writeOnce = async (data: Buffer): Promise<number> => {
    for (let turn = 0; turn < 10; turn++) await nextTurn();
    writes.push(Buffer.from(data));
    return data.length;
  };
  const sink = writerSink(writeOnce, () => Promise.resolve(), recorder().events);
  const lines = Array.from({ length: 4000 }, (_, i) => `${String(i).padStart(99, '.')}\n`);
  const startedMs = Date.now();
  for (const line of lines) {
    sink.append(line);
    await nextTurn();
  }
  // Flushes by size, plus one per FLUSH_AFTER_MS the loop took (a loaded machine is slower).
  const flushes =
    Math.ceil((lines.length * 100) / FLUSH_BYTES) +
    Math.ceil((Date.now() - startedMs) / FLUSH_AFTER_MS);
  assert.ok(writes.length <= flushes + 1, `${writes.length} writes for ${flushes} flushes`);
  await sink.close();
  assert.equal(Buffer.concat(writes).toString(), lines.join(''), 'every line, in order');
});

test('lines of every size, UTF-8 among them, arrive whole and in order across buffers', async () => {
  const disk = fakeDisk();
  const sink = writerSink(disk.writeOnce, () => Promise.resolve(), recorder().events);
  const lines = [
    'short\n',
    `# note é ü ${'ß'.repeat(FLUSH_BYTES / 3)}\n`, // fits as UTF-16 units, not as bytes
    `${'x'.repeat(FLUSH_BYTES + 10)}\n`, // longer than a buffer
    ...Array.from({ length: 2000 }, (_, i) => `line ${i} ${'y'.repeat(i % 90)}\n`),
  ];
  for (const line of lines) sink.append(line);
  await sink.close();
  assert.equal(Buffer.concat(disk.written).toString(), lines.join(''));
});

test('encoded lines arrive as appended text would, across buffers and beside text', async () => {
  const disk = fakeDisk();
  const sink = writerSink(disk.writeOnce, () => Promise.resolve(), recorder().events);
  const encode = (text: string, out: Buffer, at: number): number => at + out.write(text, at);
  const lines = Array.from({ length: 3000 }, (_, i) => `${i} ${'z'.repeat((i * 37) % 300)}\n`);
  lines.push(`${'w'.repeat(FLUSH_BYTES + 1)}\n`); // longer than a buffer
  lines.forEach((line, i) => {
    if (i % 7 === 0) sink.append(line);
    else sink.appendEncoded(Math.max(400, line.length), encode, line);
  });
  await sink.close();
  assert.equal(Buffer.concat(disk.written).toString(), lines.join(''));
});
