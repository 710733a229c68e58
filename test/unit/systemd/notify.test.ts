/** The notifier's contract with a stand-in sender: merged while busy, failures said once, never thrown. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNotifier } from '../../../src/systemd/notify.js';
import { makeTempDir } from '../../helpers/fixtures.js';

const dir = await makeTempDir();
after(dir.remove);

/** A sender that appends its arguments (one run per line) to a file, then exits `status`. */
async function fakeSender(
  name: string,
  status: number,
): Promise<{ command: string; runs: () => Promise<string[]> }> {
  const command = join(dir.path, name);
  const record = `${command}.runs`;
  await writeFile(
    command,
    `#!/bin/sh\necho "$*" >> '${record}'\necho "sender failed" >&2\nexit ${status}\n`,
  );
  await chmod(command, 0o755);
  return {
    command,
    runs: async () => (await readFile(record, 'utf8').catch(() => '')).split('\n').filter(Boolean),
  };
}

void test('without NOTIFY_SOCKET there is no notifier', () => {
  assert.equal(
    createNotifier({}, () => undefined),
    null,
  );
  assert.equal(
    createNotifier({ NOTIFY_SOCKET: '' }, () => undefined),
    null,
  );
});

void test('messages asked for while one is in flight are merged key by key: one run, newest STATUS', async () => {
  const sender = await fakeSender('ok', 0);
  const said: string[] = [];
  const notifier = createNotifier({ NOTIFY_SOCKET: '/x' }, (l) => said.push(l), sender);
  assert.ok(notifier !== null);
  notifier.notify({ READY: '1', STATUS: 'serving' });
  notifier.notify({ STOPPING: '1', STATUS: 'draining: a\nb' });
  notifier.notify({ STATUS: 'draining: 2' });
  await notifier.flush(5000);
  assert.deepEqual(await sender.runs(), [
    'READY=1 STATUS=serving',
    'STOPPING=1 STATUS=draining: 2',
  ]);
  assert.deepEqual(said, []);
});

void test('a failing sender is reported once, with its reason, and nothing throws', async () => {
  const sender = await fakeSender('fails', 1);
  const said: string[] = [];
  const notifier = createNotifier({ NOTIFY_SOCKET: '/gone' }, (l) => said.push(l), sender);
  assert.ok(notifier !== null);
  for (let i = 0; i < 3; i++) {
    notifier.notify({ STATUS: `try ${i}` });
    await notifier.flush(5000);
  }
  assert.equal((await sender.runs()).length, 3);
  assert.deepEqual(said, [
    `cannot notify systemd (NOTIFY_SOCKET=/gone): ${sender.command} exited 1: sender failed; serving on`,
  ]);
});

void test('a sender that is not installed is reported, not thrown', async () => {
  const said: string[] = [];
  const notifier = createNotifier({ NOTIFY_SOCKET: '/x' }, (l) => said.push(l), {
    command: join(dir.path, 'missing'),
  });
  notifier?.notify({ READY: '1' });
  await notifier?.flush(5000);
  assert.match(said[0] ?? '', /missing is not installed; serving on$/);
});
