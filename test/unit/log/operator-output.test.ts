import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import {
  guardStandardStreams,
  MAX_LINE_CHARS,
  MAX_QUEUED_BYTES,
  neutralizeLine,
  type StderrLoss,
} from '../../../src/log/operator-output.js';

const noTerminal = { release: () => undefined };

test('operator lines show control bytes as \\xHH and are bounded', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['listening on 127.0.0.1:80', 'listening on 127.0.0.1:80'],
    ['cut: /a\x1b[2J/b', 'cut: /a\\x1b[2J/b'],
    ['two\nlines\r', 'two\\x0alines\\x0d'],
    ['/ünïcode', '/ünïcode'],
  ];
  for (const [line, expected] of cases) assert.equal(neutralizeLine(line), expected);
  assert.equal(neutralizeLine('x'.repeat(10_000)).length, MAX_LINE_CHARS);
});

/** A stderr whose every write fails with `code`, as a closed pipe or terminal does. */
function failingStream(code: string): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback(Object.assign(new Error(code), { code }));
    },
  });
}

test('a failing stderr never throws: the first failure is handed on once, later lines dropped', async () => {
  const stderr = failingStream('EPIPE');
  const output = guardStandardStreams(stderr, new PassThrough(), noTerminal);
  const losses: StderrLoss[] = [];
  output.onStderrLost((loss) => losses.push(loss));
  output.say('one');
  await new Promise((resolve) => setImmediate(resolve));
  output.say('two');
  output.say('three');
  assert.equal(losses.length, 1);
  assert.equal(losses[0]?.why, 'EPIPE');
  assert.equal(losses[0]?.linesDropped(), 2);
  const late: StderrLoss[] = [];
  output.onStderrLost((loss) => late.push(loss));
  assert.equal(late.length, 1, 'a listener added after the loss hears of it at once');
});

test('EIO (a hung-up terminal) releases the terminal; a stalled reader cannot grow memory', async () => {
  let released = 0;
  const terminal = { release: () => void released++ };
  const eio = guardStandardStreams(failingStream('EIO'), new PassThrough(), terminal);
  eio.say('bye');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(released, 1);

  const stalled = new Writable({ highWaterMark: 1, write: () => undefined }); // never calls back
  const output = guardStandardStreams(stalled, new PassThrough(), noTerminal);
  for (let i = 0; i < 10_000; i++) output.say('x'.repeat(100));
  assert.ok(stalled.writableLength <= MAX_QUEUED_BYTES + 200, String(stalled.writableLength));
});
