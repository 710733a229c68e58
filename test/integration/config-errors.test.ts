/**
 * Operator errors of `ebb serve`, from the real CLI: a bad flag or config value is refused with
 * exit 2 before anything is bound, naming the key, the value and what was expected; a missing
 * root, a port in use, an unreadable config: one clear line, non-zero, no stack trace.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { spawnEbb, stopAll, type Exit } from '../helpers/ebb-process.js';
import { makeTempDir } from '../helpers/fixtures.js';
import { ERROR_CODES, exitStatusFor, type ErrorCode } from '../../src/errors.js';

after(stopAll);

const EXIT_STATUS_OF = Object.fromEntries(
  (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => [code, exitStatusFor(code)]),
);

const dir = await makeTempDir();
after(dir.remove);
const root = dir.path;

interface Run {
  readonly exit: Exit;
  readonly stdout: string;
  readonly stderr: string;
}

async function runEbb(args: readonly string[]): Promise<Run> {
  const ebb = spawnEbb(args, { cwd: root });
  // 'close' comes after 'exit' and after the output streams ended: every line has been read.
  const closed = once(ebb.child, 'close');
  const exit = await ebb.exited;
  await closed;
  return { exit, stdout: ebb.stdout.text(), stderr: ebb.stderr.text() };
}

/** No stack trace, nothing bound, nothing served. */
function assertCleanRefusal(run: Run): void {
  assert.doesNotMatch(run.stderr, /^\s+at /m, 'a stack trace');
  assert.doesNotMatch(run.stderr, /unexpected failure/);
  assert.doesNotMatch(run.stderr, /listening on|serving/, 'something was bound');
}

const badFlags: ReadonlyArray<readonly [string[], string, string, RegExp]> = [
  [['--write-idle-timeout', '5x'], '--write-idle-timeout', '"5x"', /a duration/],
  [['--write-idle-timeout', '30'], '--write-idle-timeout', '"30"', /a duration/],
  [['--header-timeout', '0s'], '--header-timeout', '"0s"', /greater than zero/],
  [['--keepalive-timeout=-1s'], '--keepalive-timeout', '"-1s"', /a duration/],
  [['--listen', 'nope:99999'], '--listen', '"nope:99999"', /PORT, HOST:PORT/],
  [['--listen', '65536'], '--listen', '"65536"', /port 0–65535/],
  [['--listen', '[::1]'], '--listen', '"\\[::1\\]"', /PORT/],
  [['--listing', 'maybe'], '--listing', '"maybe"', /on or off/],
  [['--dotfiles', 'sometimes'], '--dotfiles', '"sometimes"', /deny or allow/],
  [['--index', 'a/b.html'], '--index', '"a/b.html"', /without slashes/],
  [['--cache-control', 'a\u0001b'], '--cache-control', '"a\\\\u0001b"', /header value/],
];

test(
  'a bad flag value → exit 2 naming the key, the value and what was expected',
  { concurrency: true },
  async (t) => {
    await Promise.all(
      badFlags.map(([flags, key, value, expected]) =>
        t.test(flags.join(' '), async () => {
          const run = await runEbb(['serve', '--listen', '127.0.0.1:0', ...flags, root]);
          assert.equal(run.exit.code, 2, run.stderr);
          assert.match(run.stderr, new RegExp(`${key} ${value}: expected.*${expected.source}`));
          assertCleanRefusal(run);
        }),
      ),
    );
  },
);

test('every bad value is reported at once', async () => {
  const run = await runEbb([
    'serve',
    '--listen',
    'nope:99999',
    '--listing',
    'maybe',
    '--write-idle-timeout',
    '5x',
    root,
  ]);
  assert.equal(run.exit.code, 2);
  assert.match(run.stderr, /3 problems/);
  for (const key of ['--listen', '--listing', '--write-idle-timeout']) {
    assert.ok(run.stderr.includes(key), key);
  }
  assertCleanRefusal(run);
});

test('an unknown flag, a flag without its value, two roots → exit 2 with usage', async () => {
  for (const args of [['--no-such-flag'], ['--listen'], ['a', 'b']]) {
    const run = await runEbb(['serve', ...args]);
    assert.equal(run.exit.code, 2, args.join(' '));
    assert.match(run.stderr, /^ebb: /);
    assertCleanRefusal(run);
  }
});

test('a TOML file with an unknown key and a bad value: both named with the file, exit 2', async () => {
  const path = join(root, 'unknown.toml');
  await writeFile(
    path,
    'listen = "127.0.0.1:0"\nlisting = "on"\nbogus-key = 1\nheader-timeout = 5\n',
  );
  const run = await runEbb(['serve', '--config', path, root]);
  assert.equal(run.exit.code, 2);
  assert.match(run.stderr, new RegExp(`${path}: bogus-key 1: unknown key`));
  assert.match(run.stderr, new RegExp(`${path}: header-timeout 5: expected a duration`));
  assertCleanRefusal(run);
});

test('a TOML file with a bad list item names its index', async () => {
  const path = join(root, 'list.toml');
  await writeFile(path, 'listen = ["127.0.0.1:0", "nope:99999"]\n');
  const run = await runEbb(['serve', '--config', path, root]);
  assert.equal(run.exit.code, 2);
  assert.match(run.stderr, /listen\[1\] "nope:99999": expected/);
  assertCleanRefusal(run);
});

test('a TOML syntax error → exit 2 naming the file and the line', async () => {
  const path = join(root, 'syntax.toml');
  await writeFile(path, 'listen = "127.0.0.1:0"\nlisting = = "on"\n');
  const run = await runEbb(['serve', '--config', path, root]);
  assert.equal(run.exit.code, 2);
  assert.match(run.stderr, new RegExp(`^ebb: ${path}: TOML syntax error at line 2`, 'm'));
  assertCleanRefusal(run);
});

test('flags win over the file; a good file with a bad flag still refuses', async () => {
  const path = join(root, 'good.toml');
  await writeFile(path, 'listen = "127.0.0.1:0"\nwrite-idle-timeout = "10s"\n');
  const run = await runEbb(['serve', '--config', path, '--write-idle-timeout', 'soon', root]);
  assert.equal(run.exit.code, 2);
  assert.match(run.stderr, /--write-idle-timeout "soon"/);
  assertCleanRefusal(run);
});

test('a missing config file → one line naming it, exit 2', async () => {
  const path = join(root, 'nothere.toml');
  const run = await runEbb(['serve', '--config', path, root]);
  assert.equal(run.exit.code, 2);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, new RegExp(`cannot read config file ${path}`));
  assertCleanRefusal(run);
});

test('a missing root, or a root that is a file → exit 1, one clear line', async () => {
  const file = join(root, 'plain-file');
  await writeFile(file, 'x');
  const cases: ReadonlyArray<readonly [string, RegExp]> = [
    [join(root, 'no-such-dir'), /does not exist/],
    [file, /is not a directory/],
  ];
  for (const [path, message] of cases) {
    const run = await runEbb(['serve', '--listen', '127.0.0.1:0', path]);
    assert.equal(run.exit.code, 1, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`^ebb: document root ${path} ${message.source}`));
    assertCleanRefusal(run);
  }
});

test('a port in use → exit 1 with "address already in use", and nothing left bound', async () => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  after(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  const run = await runEbb([
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--listen',
    `127.0.0.1:${port}`,
    root,
  ]);
  assert.equal(run.exit.code, 1, run.stderr);
  assert.match(
    run.stderr,
    new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`),
  );
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assertCleanRefusal(run);
});

test('an access log that cannot be opened → exit 1, one line naming the file, before anything is bound', async () => {
  const path = join(root, 'no-such-dir', 'access.log');
  const run = await runEbb(['serve', '--listen', '127.0.0.1:0', '--access-log', path, root]);
  assert.equal(run.exit.code, 1, run.stderr);
  assert.match(run.stderr, new RegExp(`access log.*${path}`));
  assertCleanRefusal(run);
});

test('ebb --help, ebb --version, ebb serve --help → exit 0 with their text', async () => {
  const help = await runEbb(['--help']);
  assert.equal(help.exit.code, 0);
  assert.match(help.stdout, /usage:\n\s+ebb serve \[ROOT\]/);
  assert.match(help.stdout, /SIGUSR1/);
  const version = await runEbb(['--version']);
  assert.equal(version.exit.code, 0);
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  const serveHelp = await runEbb(['serve', '--help']);
  assert.equal(serveHelp.exit.code, 0);
  for (const flag of [
    '--listen',
    '--access-log',
    '--index',
    '--listing',
    '--dotfiles',
    '--follow-symlinks',
    '--header-timeout',
    '--keepalive-timeout',
    '--write-idle-timeout',
    '--cache-control',
    '--config',
  ]) {
    assert.ok(serveHelp.stdout.includes(flag), flag);
  }
  const unknown = await runEbb(['frobnicate']);
  assert.equal(unknown.exit.code, 2);
});

test('every command takes -h and --help, even beside a bad flag: exit 0, its usage on stdout', async () => {
  const commands = ['serve', 'stop', 'status', 'top'];
  const runs = await Promise.all(
    commands.flatMap((command) =>
      [['-h'], ['--help'], ['--no-such-flag', '-h']].map(async (flags) => ({
        command,
        flags,
        run: await runEbb([command, ...flags]),
      })),
    ),
  );
  for (const { command, flags, run } of runs) {
    const what = `ebb ${command} ${flags.join(' ')}: ${run.stderr}`;
    assert.equal(run.exit.code, 0, what);
    assert.match(run.stdout, new RegExp(`^usage: ebb ${command}\\b`), what);
    assert.equal(run.stderr, '', what);
  }
});

test('ebb --help lists every command and the exit status of every error code', async () => {
  const help = await runEbb(['--help']);
  for (const command of ['serve', 'stop', 'status', 'top']) {
    assert.match(help.stdout, new RegExp(`^  ebb ${command}\\b`, 'm'), command);
  }
  for (const [code, status] of Object.entries(EXIT_STATUS_OF)) {
    assert.match(help.stdout, new RegExp(`^  ${status} +${code} `, 'm'), code);
  }
});
