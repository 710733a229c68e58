/**
 * Operator errors: one class, one table of stable codes. The CLI maps each code to an exit
 * status through EXIT_STATUS, and prints that table in `ebb --help`.
 */

export const ERROR_CODES = {
  USAGE: 'bad command line (unknown command or flag)',
  CONFIG_INVALID: 'a config value or flag is invalid',
  CONFIG_UNREADABLE: 'the config file cannot be read or parsed',
  ROOT_MISSING: 'the document root does not exist or is not a directory',
  LISTEN_FAILED: 'a listen address cannot be bound',
  ACCESS_LOG_FAILED: 'the access log file cannot be opened',
  PID_FILE_LIVE: 'the pid file names a running ebb',
  PID_FILE_FAILED: 'the pid file cannot be written or read',
  NOT_RUNNING: 'no ebb server answers at the given pid file or admin address',
  ADMIN_FAILED: 'the admin listener failed the request',
  PERMISSION_DENIED: 'not allowed to signal the server, or the admin listener refused (token)',
  FILE_UNTRUSTED: 'a pid file, admin socket or token file is owned by another user',
  SOCKET_ACTIVATION_INVALID: 'listeners handed over by systemd (LISTEN_FDS) cannot be used',
  ACCOUNT_UNKNOWN: 'the --user or --group names no account on this system',
  ROOT_REFUSED: 'running as root without --user (drop privileges) or --allow-root',
  PRIVILEGE_DROP_FAILED: 'switching to the --user/--group account failed after binding',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class EbbError extends Error {
  override readonly name = 'EbbError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isEbbError(value: unknown): value is EbbError {
  return value instanceof EbbError;
}

/**
 * Exit statuses of every ebb command, `ebb serve`'s drain outcome included: the one table
 * (`ebb --help` prints it).
 */
export const EXIT_STATUS = {
  /** Done; for `ebb serve`, drained: every download finished. */
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  /** The drain deadline or an immediate stop cut at least one download. */
  DRAIN_CUT: 3,
  NOT_RUNNING: 4,
  DENIED: 5,
} as const;

export function exitStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'USAGE':
    case 'CONFIG_INVALID':
    case 'CONFIG_UNREADABLE':
    case 'SOCKET_ACTIVATION_INVALID':
    case 'ACCOUNT_UNKNOWN':
    case 'ROOT_REFUSED':
      return EXIT_STATUS.USAGE;
    case 'NOT_RUNNING':
      return EXIT_STATUS.NOT_RUNNING;
    case 'PERMISSION_DENIED':
    case 'FILE_UNTRUSTED':
      return EXIT_STATUS.DENIED;
    case 'ROOT_MISSING':
    case 'LISTEN_FAILED':
    case 'ACCESS_LOG_FAILED':
    case 'PID_FILE_LIVE':
    case 'PID_FILE_FAILED':
    case 'ADMIN_FAILED':
    case 'PRIVILEGE_DROP_FAILED':
      return EXIT_STATUS.FAILED;
  }
}
