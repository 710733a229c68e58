/** `ebb status`: one snapshot of a running server, as a report or as the raw JSON. */
import { EbbError, EXIT_STATUS } from '../errors.js';
import { parseCommandLine } from '../config/command-line.js';
import { adminJson } from './admin-client.js';
import {
  ADMIN_TARGET_OPTIONS,
  ADMIN_TARGET_USAGE,
  requireAdmin,
  resolveAdminTarget,
} from './admin-target.js';
import { statusReport } from './status-view.js';
import { isStatusSnapshot } from './server-data.js';

export const STATUS_USAGE = `usage: ebb status [--pid-file FILE | --admin ADDR] [--json] [--limit N]

  Shows a running ebb: its state (serving, draining since …, deadline), counts, the forecast of
  the last download's completion, and its connections, slowest first.
${ADMIN_TARGET_USAGE}
  --json                   print the raw status JSON (every connection unless --limit)
  --limit N                show at most N connections (default 50; with --json, all)`;

const DEFAULT_TABLE_ROWS = 50;

interface StatusOptions {
  readonly json: boolean;
  readonly limit: number | null;
}

async function parseStatusArgs(argv: readonly string[]) {
  const { values } = parseCommandLine(
    {
      command: 'status',
      options: {
        ...ADMIN_TARGET_OPTIONS,
        json: { type: 'boolean', default: false },
        limit: { type: 'string' },
      },
    },
    argv,
  );
  const limit = values.limit === undefined ? null : Number(values.limit);
  if (limit !== null && !(Number.isInteger(limit) && limit >= 0)) {
    throw new EbbError('USAGE', `--limit "${values.limit}": expected a whole number`);
  }
  const options: StatusOptions = { json: values.json, limit };
  return { admin: requireAdmin(await resolveAdminTarget(values, 'status')), options };
}

export async function runStatus(argv: readonly string[], out: NodeJS.WriteStream): Promise<number> {
  const { admin, options } = await parseStatusArgs(argv);
  const limit = options.limit ?? (options.json ? null : DEFAULT_TABLE_ROWS);
  const path = limit === null ? '/status' : `/status?limit=${limit}`;
  const status = await adminJson(admin, 'GET', path, isStatusSnapshot);
  if (options.json) {
    out.write(`${JSON.stringify(status, null, 2)}\n`);
    return EXIT_STATUS.OK;
  }
  const width = out.isTTY ? Math.max(80, out.columns) : 80;
  out.write(`${statusReport(status, width, limit ?? Infinity).join('\n')}\n`);
  return EXIT_STATUS.OK;
}
