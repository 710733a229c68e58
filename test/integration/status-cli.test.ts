/** `ebb status [--json]` and `ebb top` (in a real terminal: tmux) against a live server. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { EBB_BIN, spawnEbb, startEbb, stopAll } from '../helpers/ebb-process.js';
import { startWithAdmin, throttledDownload } from '../helpers/live-server.js';
import { makeTempDir, writeRandomFile } from '../helpers/fixtures.js';
import { adminFetch } from '../helpers/admin.js';
import type { StatusSnapshot } from '../../src/lifecycle/status.js';

after(stopAll);

const run = promisify(execFile);
const root = await makeTempDir();
after(root.remove);
const big = await writeRandomFile(root.path, 'big.iso', 16 * 1024 * 1024);

async function ebbCli(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  const proc = spawnEbb(args);
  const exit = await proc.exited;
  return { code: exit.code, out: `${proc.stdout.text()}\n${proc.stderr.text()}`.trim() };
}

/** A tmux server of this test's own (its own socket), 80×24, running one command. */
class Tmux {
  private readonly socket = `ebb-test-${process.pid}-${Math.random().toString(36).slice(2)}`;

  async start(command: string): Promise<void> {
    await this.tmux('new-session', '-d', '-x', '80', '-y', '24', command);
  }

  async screen(): Promise<string[]> {
    const { stdout } = await run('tmux', ['-L', this.socket, 'capture-pane', '-p']);
    return stdout.split('\n');
  }

  /** Captures the pane until `pattern` shows (a terminal has no event to wait on). */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string[]> {
    const until = Date.now() + timeoutMs;
    let lines: string[] = [];
    while (Date.now() < until) {
      lines = await this.screen();
      if (pattern.test(lines.join('\n'))) return lines;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the terminal never showed ${pattern}:\n${lines.join('\n')}`);
  }

  async keys(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', ...keys);
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
  }

  private async tmux(...args: string[]): Promise<void> {
    await run('tmux', ['-L', this.socket, ...args]);
  }
}

const quote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;
const topCommand = (admin: string): string =>
  `${quote(EBB_BIN)} top --admin ${admin}; echo "top exited $?"; sleep 60`;

test('ebb status --json and ebb status show a live download, found through --pid-file or --admin', async () => {
  const dir = await makeTempDir('ebb-status-');
  after(dir.remove);
  const pidFile = join(dir.path, 'ebb.pid');
  const server = await startEbb([
    '--listen',
    '127.0.0.1:0',
    '--pid-file',
    pidFile,
    '--access-log',
    'off',
    root.path,
  ]);
  const slow = throttledDownload(server.port, `/${big.name}`, 4_000_000);
  await slow.gotHead;

  const json = await ebbCli(['status', '--json', '--pid-file', pidFile]);
  assert.equal(json.code, 0, json.out);
  const status = JSON.parse(json.out) as StatusSnapshot;
  assert.equal(status.pid, server.pid);
  assert.equal(status.state, 'serving');
  const row = status.connections.find((c) => c.path === `/${big.name}`);
  assert.ok(row !== undefined, json.out);
  assert.equal(row.bytesDue, big.size);
  assert.equal(status.counters.downloadsInFlight, 1);

  const text = await ebbCli(['status', '--admin', `unix:${join(dir.path, 'ebb.sock')}`]);
  assert.equal(text.code, 0, text.out);
  const lines = text.out.split('\n');
  assert.match(lines[0] ?? '', /^ebb \S+ \(pid \d+\) on 127\.0\.0\.1:\d+: serving$/);
  assert.match(text.out, /in flight: 1 downloads, .* left, last done/);
  assert.match(text.out, /^CLIENT +FILE +PROG% +RECVD\/TOTAL +RATE +ETA$/m);
  assert.match(text.out, /^127\.0\.0\.1:\d+ +\/big\.iso +[\d.]+% +\S+\/16\.0M +\S+\/s +\S+$/m);
  for (const line of lines) assert.ok(line.length <= 80, `fits 80 columns: ${line}`);

  assert.equal((await slow.result).sha256, big.sha256);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);

  const gone = await ebbCli(['status', '--pid-file', pidFile]);
  assert.equal(gone.code, 4, gone.out);
  assert.match(gone.out, /no admin listener found through pid file .*: pid file .* is missing/);
  const usage = await ebbCli(['status']);
  assert.equal(usage.code, 2);
});

test('ebb top in an 80x24 terminal: a live download row, s toggles the order, q restores the terminal', async () => {
  const { server, adminPort } = await startWithAdmin(root.path);
  const slow = throttledDownload(server.port, `/${big.name}`, 2_000_000);
  await slow.gotHead;
  const tmux = new Tmux();
  after(() => tmux.kill());
  await tmux.start(topCommand(`127.0.0.1:${adminPort}`));

  const screen = await tmux.waitFor(/127\.0\.0\.1:\d+ +\/big\.iso +[\d.]+%/);
  assert.match(screen[0] ?? '', /^ebb top · 127\.0\.0\.1:\d+ · serving/);
  assert.match(screen.join('\n'), /sorted by ETA \(slowest first\) · s: sort by rate · q: quit/);
  for (const line of screen) assert.ok(line.length <= 80, `fits 80 columns: ${line}`);

  await tmux.keys('s');
  await tmux.waitFor(/sorted by rate \(fastest first\)/);
  await tmux.keys('q');
  const after_ = await tmux.waitFor(/top exited 0/);
  // Back on the normal screen: the table is gone with the alternate screen.
  assert.doesNotMatch(after_.join('\n'), /CLIENT +FILE/);

  assert.equal((await slow.result).sha256, big.sha256);
  server.child.kill('SIGINT');
  assert.equal((await server.exited).code, 0);
});

test('ebb top during a drain: the drain line, then the summary once the server has exited', async () => {
  const { server, adminPort } = await startWithAdmin(root.path);
  const slow = throttledDownload(server.port, `/${big.name}`, 3_000_000);
  await slow.gotHead;
  const tmux = new Tmux();
  after(() => tmux.kill());
  await tmux.start(topCommand(`127.0.0.1:${adminPort}`));
  await tmux.waitFor(/\/big\.iso/);

  assert.equal((await adminFetch(adminPort, 'POST', '/drain')).status, 202);
  const draining = await tmux.waitFor(/^drain: 1 downloads, .* left, last done/m);
  assert.match(draining[0] ?? '', /· draining since \d\d:\d\d:\d\d/);

  assert.equal((await slow.result).sha256, big.sha256);
  assert.equal((await server.exited).code, 0);
  const final = await tmux.waitFor(/top exited 0/);
  assert.match(
    final.join('\n'),
    /ebb top: the server has exited: drain finished in [\d.]+ s, 1 downloads completed/,
  );
});
