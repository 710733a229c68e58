import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isEbbError, type ErrorCode } from '../../../src/errors.js';
import { loadServeConfig } from '../../../src/config/load-serve-config.js';
import type { ServeConfig } from '../../../src/config/schema.js';

const CWD = '/home/op';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ebb-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function writeToml(dir: string, text: string): Promise<string> {
  await mkdir(join(dir, 'etc'), { recursive: true });
  const path = join(dir, 'etc', 'ebb.toml');
  await writeFile(path, text);
  return path;
}

async function rejectsWith(argv: readonly string[], code: ErrorCode): Promise<string> {
  const error: unknown = await loadServeConfig(argv, CWD).then(
    () => assert.fail('expected an error'),
    (thrown: unknown) => thrown,
  );
  assert.ok(isEbbError(error), `not an EbbError: ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error.message;
}

void test('no flags and no file give every default', async () => {
  const expected: ServeConfig = {
    root: CWD,
    listen: [{ host: '127.0.0.1', port: 8080 }],
    listenTls: [],
    tlsCert: null,
    tlsKey: null,
    accessLog: { kind: 'stdout' },
    index: null,
    listing: true,
    dotfiles: 'deny',
    followSymlinks: false,
    headerTimeoutMs: 30_000,
    keepaliveTimeoutMs: 15_000,
    writeIdleTimeoutMs: 360_000,
    cacheControl: null,
    drainTimeoutMs: null,
    drainDelay: { kind: 'auto', answers: 3 },
    drainNew: { kind: 'refuse' },
    lastRequestWindowMs: 1_000,
    maxConnections: null,
    maxConnectionsPerIp: null,
    ipv6PrefixBits: 64,
    ratePerConnection: null,
    rateTotal: null,
    drainLiftLimits: true,
    pidFile: null,
    admin: null,
    adminAllowRemote: false,
    adminTokenFile: null,
    user: null,
    group: null,
    allowRoot: false,
    peers: [],
    digests: false,
    stateDir: null,
    metalink: true,
  };
  assert.deepEqual(await loadServeConfig([], CWD), expected);
});

const FLAG_CASES: ReadonlyArray<readonly [readonly string[], Partial<ServeConfig>]> = [
  [['srv'], { root: `${CWD}/srv` }],
  [['/srv/mirror'], { root: '/srv/mirror' }],
  [
    ['--listen', '9000', '--listen=[::1]:0'],
    {
      listen: [
        { host: '0.0.0.0', port: 9000 },
        { host: '::1', port: 0 },
      ],
    },
  ],
  [['--access-log', 'off'], { accessLog: { kind: 'off' } }],
  [['--access-log', '-'], { accessLog: { kind: 'stdout' } }],
  [
    ['--access-log', 'logs/access.log'],
    { accessLog: { kind: 'file', path: `${CWD}/logs/access.log` } },
  ],
  [['--index', 'index.html', '--listing', 'off'], { index: 'index.html', listing: false }],
  [['--dotfiles', 'allow', '--follow-symlinks'], { dotfiles: 'allow', followSymlinks: true }],
  [
    ['--header-timeout', '500ms', '--keepalive-timeout', '1.5s'],
    { headerTimeoutMs: 500, keepaliveTimeoutMs: 1_500 },
  ],
  [
    ['--write-idle-timeout=2h', '--drain-timeout', '1d'],
    { writeIdleTimeoutMs: 7_200_000, drainTimeoutMs: 86_400_000 },
  ],
  [
    ['--drain-delay', '0s', '--last-request-window', '0ms'],
    { drainDelay: { kind: 'fixed', ms: 0 }, lastRequestWindowMs: 0 },
  ],
  [['--drain-delay', 'auto'], { drainDelay: { kind: 'auto', answers: 3 } }],
  [['--drain-delay', 'auto=2'], { drainDelay: { kind: 'auto', answers: 2 } }],
  [['--drain-delay', '3s'], { drainDelay: { kind: 'fixed', ms: 3000 } }],
  [['--cache-control', 'public, max-age=3600'], { cacheControl: 'public, max-age=3600' }],
  [['--drain-new', 'refuse'], { drainNew: { kind: 'refuse' } }],
  [['--drain-new', '503'], { drainNew: { kind: 'status503' } }],
  [
    ['--drain-new', 'redirect=https://mirror2.example.org/iso/'],
    { drainNew: { kind: 'redirect', url: 'https://mirror2.example.org/iso/' } },
  ],
  [
    ['--drain-new=redirect=http://b.example.org'],
    { drainNew: { kind: 'redirect', url: 'http://b.example.org/' } },
  ],
  [
    ['--pid-file', 'run/ebb.pid'],
    { pidFile: `${CWD}/run/ebb.pid`, admin: { kind: 'unix', path: `${CWD}/run/ebb.sock` } },
  ],
  [
    ['--pid-file', '/run/ebb'],
    { pidFile: '/run/ebb', admin: { kind: 'unix', path: '/run/ebb.sock' } },
  ],
  [['--pid-file', '/run/ebb.pid', '--admin', 'off'], { pidFile: '/run/ebb.pid', admin: null }],
  [
    ['--pid-file', '/run/ebb.pid', '--admin', '127.0.0.1:9090'],
    { admin: { kind: 'tcp', host: '127.0.0.1', port: 9090 } },
  ],
  [['--admin', 'unix:ebb.sock'], { admin: { kind: 'unix', path: `${CWD}/ebb.sock` } }],
  [
    ['--peer', 'https://b.example.org/debian/', '--peer', 'http://[::1]:81/a%20b'],
    { peers: ['https://b.example.org/debian', 'http://[::1]:81/a%20b'] },
  ],
  [['--peer', 'http://b.example.org'], { peers: ['http://b.example.org'] }],
  [
    ['--digests', 'on', '--state-dir', 'state', '--metalink', 'off'],
    { digests: true, stateDir: `${CWD}/state`, metalink: false },
  ],
  [
    ['--listen-tls', '127.0.0.1:8443', '--tls-cert', 'c.pem', '--tls-key', '/k.pem'],
    {
      listen: [],
      listenTls: [{ host: '127.0.0.1', port: 8443 }],
      tlsCert: `${CWD}/c.pem`,
      tlsKey: '/k.pem',
    },
  ],
  [
    ['--listen', '80', '--listen-tls', '443', '--tls-cert', 'c', '--tls-key', 'k'],
    { listen: [{ host: '0.0.0.0', port: 80 }], listenTls: [{ host: '0.0.0.0', port: 443 }] },
  ],
  [
    ['--max-connections', '5000', '--max-connections-per-ip', '16', '--ipv6-prefix', '56'],
    { maxConnections: 5000, maxConnectionsPerIp: 16, ipv6PrefixBits: 56 },
  ],
  [
    ['--rate-per-connection', '500KB/s', '--rate-total', '1.5MiB/s', '--drain-lift-limits', 'off'],
    { ratePerConnection: 500_000, rateTotal: 1_572_864, drainLiftLimits: false },
  ],
  [['--rate-total', '125000'], { rateTotal: 125_000 }],
  [['--rate-total', '2M/s'], { rateTotal: 2_000_000 }],
  [['--pid-file', '/run/ebb.pid'], { adminTokenFile: '/run/ebb.admin-token' }],
  [['--pid-file', '/run/ebb.pid', '--admin-token-file', 'tok'], { adminTokenFile: `${CWD}/tok` }],
  [['--admin', '[::1]:9090'], { admin: { kind: 'tcp', host: '::1', port: 9090 } }],
  [['--admin', 'localhost:9090'], { admin: { kind: 'tcp', host: 'localhost', port: 9090 } }],
  [['--admin', '127.8.0.1:9090'], { admin: { kind: 'tcp', host: '127.8.0.1', port: 9090 } }],
  [
    ['--admin', '0.0.0.0:9090', '--admin-allow-remote'],
    { admin: { kind: 'tcp', host: '0.0.0.0', port: 9090 }, adminAllowRemote: true },
  ],
];

const LIMIT_BAD: ReadonlyArray<readonly [readonly string[], RegExp]> = [
  [['--max-connections', '0'], /--max-connections "0": expected a whole number of at least 1/],
  [['--max-connections-per-ip', 'many'], /--max-connections-per-ip "many": expected a whole/],
  [['--ipv6-prefix', '129'], /--ipv6-prefix "129": expected a prefix length from 1 to 128/],
  [['--rate-total', '10Mbit/s'], /--rate-total "10Mbit\/s": expected a rate .*bytes, not bits/],
  [['--rate-per-connection', '100'], /--rate-per-connection "100": expected a rate of at least/],
  [['--listen-tls', '8443'], /--tls-cert: required by --listen-tls\n.*--tls-key: required/],
  [['--tls-cert', 'c.pem'], /--tls-cert\/--tls-key: given without any --listen-tls/],
];

for (const [argv, pattern] of LIMIT_BAD) {
  void test(`${argv.join(' ')} is refused`, async () => {
    assert.match(await rejectsWith(argv, 'CONFIG_INVALID'), pattern);
  });
}

for (const [argv, expected] of FLAG_CASES) {
  void test(`flags ${argv.join(' ')}`, async () => {
    const config = await loadServeConfig(argv, CWD);
    assert.deepEqual(pick(config, expected), expected);
  });
}

function pick(config: ServeConfig, like: Partial<ServeConfig>): Partial<ServeConfig> {
  return Object.fromEntries(
    Object.keys(like).map((key) => [key, config[key as keyof ServeConfig]]),
  );
}

const DRAIN_NEW_BAD: readonly string[] = [
  'redirect=',
  'redirect=/elsewhere',
  'redirect=ftp://mirror.example.org/',
  'redirect',
  '502',
  'close',
];

const PEER_BAD: readonly string[] = [
  '/elsewhere',
  'ftp://b.example.org/',
  'https://b.example.org/?mirror=1',
  'https://b.example.org/#top',
  'b.example.org',
];

for (const value of PEER_BAD) {
  void test(`--peer ${value} is refused`, async () => {
    const message = await rejectsWith(['--peer', value], 'CONFIG_INVALID');
    assert.match(message, /--peer .*expected an absolute http/);
  });
}

for (const value of DRAIN_NEW_BAD) {
  void test(`--drain-new ${value} is refused`, async () => {
    const message = await rejectsWith(['--drain-new', value], 'CONFIG_INVALID');
    assert.match(message, /--drain-new ".*": expected refuse, 503 or redirect=URL/);
  });
}

void test('flags win over the file; the file wins over the defaults; paths resolve per source', async (t) => {
  const dir = await tempDir(t);
  const path = await writeToml(
    dir,
    [
      'root = "../mirror"',
      'listen = ["127.0.0.1:8080", "[::1]:8080"]',
      'access-log = "log/access.log"',
      'listing = false',
      'follow-symlinks = true',
      'write-idle-timeout = "10m"',
      'drain-new = 503',
      'pid-file = "ebb.pid"',
      'header-timeout = "20s"',
    ].join('\n'),
  );
  const config = await loadServeConfig(
    ['--config', path, '--listen', '9000', '--header-timeout', '5s', 'srv'],
    CWD,
  );
  assert.deepEqual(
    pick(config, {
      root: '',
      listen: [],
      accessLog: { kind: 'off' },
      listing: true,
      followSymlinks: true,
      writeIdleTimeoutMs: 0,
      headerTimeoutMs: 0,
      drainNew: { kind: 'refuse' },
      pidFile: '',
      admin: null,
    }),
    {
      root: `${CWD}/srv`,
      listen: [{ host: '0.0.0.0', port: 9000 }],
      accessLog: { kind: 'file', path: join(dir, 'etc/log/access.log') },
      listing: false,
      followSymlinks: true,
      writeIdleTimeoutMs: 600_000,
      headerTimeoutMs: 5_000,
      drainNew: { kind: 'status503' },
      pidFile: join(dir, 'etc/ebb.pid'),
      admin: { kind: 'unix', path: join(dir, 'etc/ebb.sock') },
    },
  );
});

void test('relative paths in the file resolve against its folder, a relative --config against cwd', async (t) => {
  const dir = await tempDir(t);
  await writeToml(dir, 'root = "../mirror"\nlisten = "8081"\nadmin = "unix:admin.sock"\n');
  const config = await loadServeConfig(['--config', 'etc/ebb.toml'], dir);
  assert.equal(config.root, join(dir, 'mirror'));
  assert.deepEqual(config.listen, [{ host: '0.0.0.0', port: 8081 }]);
  assert.deepEqual(config.admin, { kind: 'unix', path: join(dir, 'etc/admin.sock') });
});

void test('every problem, from the file and the flags, is reported in one CONFIG_INVALID', async (t) => {
  const dir = await tempDir(t);
  const path = await writeToml(
    dir,
    [
      'listen = ["127.0.0.1:8080", "nope:99999"]',
      'listing = "on"',
      'keepalive-timeout = 15',
      'drain-new = "redirect=/x"',
      'surprise = 1',
    ].join('\n'),
  );
  const message = await rejectsWith(
    [
      '--config',
      path,
      '--write-idle-timeout',
      '5x',
      '--header-timeout',
      '0s',
      '--dotfiles',
      'maybe',
    ],
    'CONFIG_INVALID',
  );
  const expectedLines = [
    `${path}: listen[1] "nope:99999": expected PORT, HOST:PORT or [IPV6]:PORT with a port 0–65535`,
    `${path}: listing "on": expected true or false`,
    `${path}: keepalive-timeout 15: expected a duration such as 30s, 5m, 2h, 1d`,
    `${path}: drain-new "redirect=/x": expected refuse, 503 or redirect=URL`,
    `${path}: surprise 1: unknown key; expected one of root, listen,`,
    '--write-idle-timeout "5x": expected a duration such as 30s, 5m, 2h, 1d',
    '--header-timeout "0s": expected a duration greater than zero',
    '--dotfiles "maybe": expected deny or allow',
  ];
  const lines = message.split('\n');
  for (const expected of expectedLines) {
    assert.ok(
      lines.some((line) => line.includes(expected)),
      `missing ${JSON.stringify(expected)} in:\n${message}`,
    );
  }
  assert.equal(lines.length, expectedLines.length + 1, message);
});

void test('an unknown key, also a table or a camelCase spelling, is refused', async (t) => {
  const dir = await tempDir(t);
  const path = await writeToml(dir, 'headerTimeoutMs = 30000\n[server]\nport = 80\n');
  const message = await rejectsWith(['--config', path], 'CONFIG_INVALID');
  assert.match(message, /ebb\.toml: headerTimeoutMs 30000: unknown key/);
  assert.match(message, /ebb\.toml: server \{"port":80\}: unknown key/);
});

const INVALID_FLAGS: ReadonlyArray<readonly [readonly string[], string]> = [
  [['--listen', '::1:8080'], '--listen "::1:8080": expected PORT, HOST:PORT or [IPV6]:PORT'],
  [['--listen', '70000'], '--listen "70000"'],
  [['--listing', 'yes'], '--listing "yes": expected on or off'],
  [['--keepalive-timeout', '30'], '--keepalive-timeout "30": expected a duration'],
  [['--drain-timeout', '0s'], '--drain-timeout "0s": expected a duration greater than zero'],
  [
    ['--drain-timeout', 'never'],
    '--drain-timeout "never": expected a duration such as 30s, 5m, 2h, 1d, or off',
  ],
  [
    ['--drain-delay=-1s'],
    '--drain-delay "-1s": expected auto, auto=N (checks, 1–10) or a duration',
  ],
  [['--drain-delay=auto=0'], '--drain-delay "auto=0": expected auto, auto=N (checks, 1–10)'],
  [['--drain-delay=auto=11'], '--drain-delay "auto=11": expected auto, auto=N'],
  [['--drain-delay=automatic'], '--drain-delay "automatic": expected auto, auto=N'],
  [['--drain-delay=25d'], '--drain-delay "25d": expected a duration of at most 24d'],
  [['--header-timeout', '25d'], '--header-timeout "25d": expected a duration of at most 24d'],
  [['--index', '../secret'], '--index "../secret": expected a file name'],
  [
    ['--cache-control', 'no-store\r\nX-Evil: 1'],
    '--cache-control "no-store\\r\\nX-Evil: 1": expected a header value',
  ],
  [['--admin', 'unix:'], '--admin "unix:": expected unix:PATH, HOST:PORT, [IPV6]:PORT or off'],
  [['--admin', '0.0.0.0:9090'], 'admin "0.0.0.0:9090": expected unix:PATH or a loopback HOST:PORT'],
  [['--admin', '[::]:9090'], 'admin "[::]:9090": expected unix:PATH or a loopback'],
  [['--admin', '192.0.2.7:9090'], 'admin "192.0.2.7:9090": expected unix:PATH or a loopback'],
  [['--admin', 'mirror.example.org:9090'], '--admin-allow-remote'],
  [['--access-log', ''], '--access-log "": expected a file path, - for stdout, or off'],
  [[''], 'ROOT "": expected a file or directory path'],
];

for (const [argv, expected] of INVALID_FLAGS) {
  void test(`flags ${JSON.stringify(argv)} are CONFIG_INVALID`, async () => {
    const message = await rejectsWith(argv, 'CONFIG_INVALID');
    assert.ok(message.includes(expected), message);
  });
}

void test('a TOML syntax error names the file, line and column', async (t) => {
  const dir = await tempDir(t);
  const path = await writeToml(dir, 'root = "/srv"\nlisten = [\n');
  const error: unknown = await loadServeConfig(['--config', path], CWD).catch((e: unknown) => e);
  assert.ok(isEbbError(error));
  assert.equal(error.code, 'CONFIG_UNREADABLE');
  assert.match(error.message, new RegExp(`${path}: TOML syntax error at line 3, column \\d+`));
  assert.ok(error.cause instanceof Error);
});

void test('a missing config file is CONFIG_UNREADABLE naming the file', async (t) => {
  const dir = await tempDir(t);
  const missing = join(dir, 'missing.toml');
  const error: unknown = await loadServeConfig(['--config', missing], CWD).catch((e: unknown) => e);
  assert.ok(isEbbError(error));
  assert.equal(error.code, 'CONFIG_UNREADABLE');
  assert.ok(error.message.includes(missing), error.message);
  assert.ok(error.cause instanceof Error);
});

void test('an unknown flag is USAGE, before any file is read', async () => {
  const message = await rejectsWith(['--config', '/nonexistent.toml', '--frobnicate'], 'USAGE');
  assert.match(message, /--frobnicate/);
});
