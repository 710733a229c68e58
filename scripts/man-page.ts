/**
 * ebb(1), in roff, from the tables `ebb --help` and `ebb serve --help` print: the settings of
 * `settings.ts` (through `serveFlagRows`), the error codes and exit statuses of `errors.ts`.
 * `node dist/scripts/man-page.js > ebb.1`; the Debian package build runs it.
 */
import { readFileSync } from 'node:fs';
import { ERROR_CODES, EXIT_STATUS, exitStatusFor, type ErrorCode } from '../src/errors.js';
import { serveFlagRows } from '../src/config/serve-flags.js';

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Text as roff reads it: backslashes and hyphens escaped, no line starting with a dot. */
function roff(text: string): string {
  return text
    .replaceAll('\\', '\\e')
    .replaceAll('-', '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

function item(term: string, body: string): string {
  return `.TP\n${term}\n${roff(body)}`;
}

function flagTerm(usage: string): string {
  const [flag = '', ...value] = usage.split(' ');
  const bold = `\\fB${roff(flag)}\\fR`;
  return value.length === 0 ? bold : `${bold} \\fI${roff(value.join(' '))}\\fR`;
}

const COMMANDS: ReadonlyArray<readonly [string, string]> = [
  [
    'serve [ROOT] [flags]',
    'serve ROOT (default: the current directory) until a drain or stop ends',
  ],
  [
    'check [flags]',
    'check a configuration without serving (like nginx -t): exit 0, or 2 with every problem listed; prints the effective settings as TOML',
  ],
  ['stop [flags]', 'drain a running server and follow it until it exits'],
  ['status [--json]', 'one snapshot: state, counts, forecast, connections'],
  ['top', 'live full-screen view of the connections'],
];

const SIGNALS: ReadonlyArray<readonly [string, string]> = [
  [
    'SIGINT, SIGQUIT',
    'graceful drain: stop accepting, finish every download, exit. A second one prints the drain progress.',
  ],
  ['SIGTERM', 'immediate stop: every connection closed now, each cut download logged'],
  ['SIGHUP, SIGUSR1', 'reopen the access log (logrotate)'],
  ['SIGUSR2', 'ignored (zero-downtime upgrade is not implemented yet)'],
];

export function renderManPage(): string {
  const errors = (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) =>
    item(`\\fB${exitStatusFor(code)}\\fR ${roff(code)}`, ERROR_CODES[code]),
  );
  return [
    `.TH EBB 1 "" "ebb ${version}" "User Commands"`,
    '.SH NAME',
    'ebb \\- static file server for download mirrors that drains gracefully',
    '.SH SYNOPSIS',
    '.B ebb',
    '.I command',
    '.RI [ flags ]',
    '.SH DESCRIPTION',
    roff(
      'ebb serves a directory over HTTP/1.1 (ranges, conditional requests, listings, a Combined Log Format access log) and stops without cutting a download: on SIGINT it stops accepting, finishes every transfer until the client has its bytes, then exits.',
    ),
    '.SH COMMANDS',
    ...COMMANDS.map(([usage, help]) => item(`\\fBebb ${roff(usage)}\\fR`, help)),
    '.SH SETTINGS',
    roff(
      'Every setting is a flag of ebb serve and ebb check, and a key of the TOML file given with --config (the same name without the leading dashes); flags win over the file. Durations read 500ms, 30s, 5m, 2h, 1d.',
    ),
    ...serveFlagRows().map(([usage, help]) => item(flagTerm(usage), help)),
    '.SH SIGNALS',
    ...SIGNALS.map(([signal, help]) => item(`\\fB${signal}\\fR`, help)),
    '.SH SYSTEMD',
    roff(
      'Under systemd (Type=notify) ebb sends READY=1 once every listener is bound and the pid file written, STOPPING=1 when a drain begins, STATUS= lines while it drains, and EXTEND_TIMEOUT_USEC= while downloads still make progress, through systemd-notify (hence NotifyAccess=all). Listeners handed over by socket activation (LISTEN_FDS) replace the listen setting: a descriptor named public (FileDescriptorName=) is a public listener, one named admin the admin listener; other names are refused.',
    ),
    '.SH EXIT STATUS',
    item(`\\fB${EXIT_STATUS.OK}\\fR`, 'ebb serve drained: every download finished'),
    item(
      `\\fB${EXIT_STATUS.DRAIN_CUT}\\fR`,
      'the drain deadline or an immediate stop cut at least one download',
    ),
    roff('Errors, by exit status and code:'),
    ...errors,
    '.SH FILES',
    item('\\fI/etc/ebb/ebb.toml\\fR', 'the configuration of ebb.service'),
    item(
      '\\fI/var/log/ebb/access.log\\fR',
      'the access log (rotated by /etc/logrotate.d/ebb with SIGUSR1)',
    ),
    item(
      '\\fI/run/ebb/ebb.pid\\fR, \\fI/run/ebb/ebb.sock\\fR',
      'the pid file and the admin socket',
    ),
    '.SH SEE ALSO',
    '.BR systemd.service (5),',
    '.BR systemd.socket (5),',
    '.BR logrotate (8)',
    '',
  ].join('\n');
}

process.stdout.write(renderManPage());
