/** Access log lines as ebb writes them (src/log/format-line.ts), parsed for assertions. */
import assert from 'node:assert/strict';

const QUOTED = '((?:[^"\\\\]|\\\\x[0-9a-f]{2})*)';

/** HOST - - [DATE] "REQUEST" STATUS BYTES "REFERER" "UA" SECONDS OUTCOME */
const LINE = new RegExp(
  `^127\\.0\\.0\\.1 - - \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000\\] "${QUOTED}" ` +
    `(\\d{3}) (\\d+|-) "${QUOTED}" "${QUOTED}" (\\d+\\.\\d{3}) ` +
    '(complete|aborted|timeout|deadline|stopped|error)$',
);

export interface AccessLine {
  readonly request: string;
  readonly status: number;
  /** Body bytes as logged: a number, or "-" for none. */
  readonly bytes: string;
  readonly referer: string;
  readonly userAgent: string;
  readonly seconds: number;
  readonly outcome: string;
}

/** Parses one Combined Log Format line plus duration and outcome; fails the test if it is not. */
export function parseAccessLine(line: string): AccessLine {
  const match = LINE.exec(line);
  assert.ok(match !== null, `not a Combined Log Format line: ${line}`);
  const [, request = '', status, bytes = '', referer = '', userAgent = '', seconds, outcome = ''] =
    match;
  return {
    request,
    status: Number(status),
    bytes,
    referer,
    userAgent,
    seconds: Number(seconds),
    outcome,
  };
}
