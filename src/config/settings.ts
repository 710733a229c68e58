/**
 * The table of `ebb serve` settings, one row per key as the operator writes it: `name = …` in the
 * TOML file, `--name …` on the command line. The config field, the default (written as on the
 * command line) and the help text of each setting live here and nowhere else.
 */

export type FlagKind = 'string' | 'repeatable' | 'boolean' | 'positional';

export interface SettingRow {
  /** The ServeConfig field this key sets: the one kebab→camel mapping. */
  readonly field: string;
  readonly flag: FlagKind;
  /** Placeholder for the value in `--help`. */
  readonly value: string;
  /** Written as on the command line; `null` = unset; `undefined` = computed (see `defaultText`). */
  readonly default: string | readonly string[] | boolean | null | undefined;
  readonly defaultText?: string;
  readonly unit?: 'duration';
  readonly help: string;
}

export const SETTINGS = {
  root: {
    field: 'root',
    flag: 'positional',
    value: 'ROOT',
    default: '.',
    defaultText: 'the current directory',
    help: 'directory to serve',
  },
  listen: {
    field: 'listen',
    flag: 'repeatable',
    value: 'ADDR',
    default: ['127.0.0.1:8080'],
    help: 'PORT (all IPv4 interfaces), HOST:PORT or [IPV6]:PORT; repeat for more; port 0 = any free',
  },
  'listen-tls': {
    field: 'listenTls',
    flag: 'repeatable',
    value: 'ADDR',
    default: [],
    help: 'like --listen, but HTTPS (HTTP/1.1 over TLS 1.2+) with --tls-cert and --tls-key',
  },
  'tls-cert': {
    field: 'tlsCert',
    flag: 'string',
    value: 'FILE',
    default: null,
    help: 'PEM certificate chain for --listen-tls (leaf first)',
  },
  'tls-key': {
    field: 'tlsKey',
    flag: 'string',
    value: 'FILE',
    default: null,
    help: 'PEM private key of --tls-cert (unencrypted)',
  },
  'access-log': {
    field: 'accessLog',
    flag: 'string',
    value: 'FILE|-|off',
    default: '-',
    help: 'access log file, - for stdout, or off',
  },
  index: {
    field: 'index',
    flag: 'string',
    value: 'NAME',
    default: null,
    help: 'file served for a directory, e.g. index.html',
  },
  listing: {
    field: 'listing',
    flag: 'string',
    value: 'on|off',
    default: 'on',
    help: 'list directories that have no index file',
  },
  dotfiles: {
    field: 'dotfiles',
    flag: 'string',
    value: 'deny|allow',
    default: 'deny',
    help: 'whether names starting with a dot are served',
  },
  'follow-symlinks': {
    field: 'followSymlinks',
    flag: 'boolean',
    value: '',
    default: false,
    help: 'serve files reached through symbolic links',
  },
  'header-timeout': {
    field: 'headerTimeoutMs',
    flag: 'string',
    value: 'D',
    default: '30s',
    unit: 'duration',
    help: 'time a client has to send its request headers',
  },
  'keepalive-timeout': {
    field: 'keepaliveTimeoutMs',
    flag: 'string',
    value: 'D',
    default: '15s',
    unit: 'duration',
    help: 'time an idle keep-alive connection stays open',
  },
  'write-idle-timeout': {
    field: 'writeIdleTimeoutMs',
    flag: 'string',
    value: 'D',
    default: '360s',
    unit: 'duration',
    help: 'cut a client that accepts no bytes for this long',
  },
  'cache-control': {
    field: 'cacheControl',
    flag: 'string',
    value: 'VALUE',
    default: null,
    help: 'Cache-Control header sent with files',
  },
  'drain-timeout': {
    field: 'drainTimeoutMs',
    flag: 'string',
    value: 'D|off',
    default: 'off',
    unit: 'duration',
    help: 'cut what is still downloading this long into a drain; off = wait while it progresses',
  },
  'drain-delay': {
    field: 'drainDelay',
    flag: 'string',
    value: 'auto|auto=N|D',
    default: 'auto',
    help:
      'keep serving (/ready says 503) before a drain closes the listeners: auto = until each ' +
      'health checker polling /ready got 503 N times (default 3; at most a minute; none: no delay)',
  },
  'drain-new': {
    field: 'drainNew',
    flag: 'string',
    value: 'refuse|503|redirect=URL',
    default: 'refuse',
    help: 'what a new connection gets during a drain',
  },
  'last-request-window': {
    field: 'lastRequestWindowMs',
    flag: 'string',
    value: 'D',
    default: '1s',
    unit: 'duration',
    help: 'during a drain, how long an idle keep-alive connection may send one last request',
  },
  'max-connections': {
    field: 'maxConnections',
    flag: 'string',
    value: 'N|off',
    default: 'off',
    help: 'connections at once; beyond it a new one gets 503 + Retry-After (always capped below the fd limit)',
  },
  'max-connections-per-ip': {
    field: 'maxConnectionsPerIp',
    flag: 'string',
    value: 'N|off',
    default: 'off',
    help: 'connections at once from one client address (IPv6: one prefix); beyond it 503 + Retry-After',
  },
  'ipv6-prefix': {
    field: 'ipv6PrefixBits',
    flag: 'string',
    value: 'BITS',
    default: '64',
    help: 'IPv6 clients count as one address per prefix of this length for --max-connections-per-ip',
  },
  'rate-per-connection': {
    field: 'ratePerConnection',
    flag: 'string',
    value: 'BYTES/s|off',
    default: 'off',
    help: 'send each connection at most this fast, e.g. 500KB/s or 2MiB/s',
  },
  'rate-total': {
    field: 'rateTotal',
    flag: 'string',
    value: 'BYTES/s|off',
    default: 'off',
    help: 'send all connections together at most this fast, shared fairly between them',
  },
  'drain-lift-limits': {
    field: 'drainLiftLimits',
    flag: 'string',
    value: 'on|off',
    default: 'on',
    help: 'during a drain, lift the rate limits so it ends sooner (as lighttpd does)',
  },
  'pid-file': {
    field: 'pidFile',
    flag: 'string',
    value: 'FILE',
    default: null,
    help: 'write the process id to this file',
  },
  admin: {
    field: 'admin',
    flag: 'string',
    value: 'unix:PATH|HOST:PORT|off',
    default: undefined,
    defaultText: 'unix socket beside --pid-file (.pid → .sock), else off',
    help: 'admin API address; HOST:PORT must be loopback unless --admin-allow-remote',
  },
  'admin-allow-remote': {
    field: 'adminAllowRemote',
    flag: 'boolean',
    value: '',
    default: false,
    help: 'allow an admin HOST:PORT that is not loopback (the token then crosses the network in clear)',
  },
  'admin-token-file': {
    field: 'adminTokenFile',
    flag: 'string',
    value: 'FILE',
    default: undefined,
    defaultText: 'beside --pid-file (.pid → .admin-token), else a private temp folder',
    help: 'where a TCP admin listener writes its token (0600) for ebb stop/status/top',
  },
  user: {
    field: 'user',
    flag: 'string',
    value: 'NAME|UID',
    default: null,
    help: 'started as root: switch to this account once listeners, log and pid file are open',
  },
  group: {
    field: 'group',
    flag: 'string',
    value: 'NAME|GID',
    default: null,
    defaultText: "the --user account's primary group",
    help: 'group to switch to with --user',
  },
  'allow-root': {
    field: 'allowRoot',
    flag: 'boolean',
    value: '',
    default: false,
    help: 'serve as root without --user (refused otherwise)',
  },
  peer: {
    field: 'peers',
    flag: 'repeatable',
    value: 'URL',
    default: [],
    help: 'another mirror of this tree (http(s) base URL), in order of preference; repeat for more',
  },
  digests: {
    field: 'digests',
    flag: 'string',
    value: 'on|off',
    default: 'off',
    help: 'compute sha-256 digests of served files in the background; send Repr-Digest and Digest',
  },
  'state-dir': {
    field: 'stateDir',
    flag: 'string',
    value: 'DIR',
    default: null,
    defaultText: 'none: digests are kept in memory only',
    help: 'folder for the digest cache (digests-v1.log), e.g. /var/lib/ebb',
  },
  metalink: {
    field: 'metalink',
    flag: 'string',
    value: 'on|off',
    default: 'on',
    help: 'answer PATH.meta4 with a Metalink 4 document for PATH (this mirror, peers, size, sha-256)',
  },
} as const satisfies Record<string, SettingRow>;

export type SettingName = keyof typeof SETTINGS;

export type FieldOf<Name> = Name extends SettingName ? (typeof SETTINGS)[Name]['field'] : never;

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

export function isSettingName(name: string): name is SettingName {
  return Object.hasOwn(SETTINGS, name);
}
