/**
 * The one wrapper of `node:util` parseArgs for every ebb command: `-h`/`--help` and an unknown
 * or malformed flag are handled here, the same way for `serve`, `stop`, `status` and `top`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EbbError } from '../errors.js';

export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

export interface CommandLine<Options extends FlagOptions> {
  /** `serve`, `stop`…: names the command in error messages. */
  readonly command: string;
  readonly options: Options;
  /** The name of the one optional positional argument (`ROOT`); none when absent. */
  readonly positional?: string;
}

/**
 * Whether `argv` asks for help: a `-h` or `--help` anywhere before `--`, whatever else is wrong
 * with the line (`ebb serve --bogus -h` prints help, not an error).
 */
export function asksForHelp(argv: readonly string[]): boolean {
  const { tokens } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return tokens.some((token) => token.kind === 'option' && ['h', 'help'].includes(token.name));
}

/** Parses `argv` (strict); throws EbbError('USAGE') naming the command and the flag. */
export function parseCommandLine<const Options extends FlagOptions>(
  spec: CommandLine<Options>,
  argv: readonly string[],
) {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: spec.options,
      strict: true,
      allowPositionals: spec.positional !== undefined,
    });
  } catch (error) {
    if (!isParseArgsError(error)) throw error;
    // parseArgs's messages run over several lines ("Did you forget…"); the first says it.
    const [first = error.message] = error.message.split('\n');
    throw new EbbError('USAGE', `${spec.command}: ${first} (ebb ${spec.command} --help)`, {
      cause: error,
    });
  }
  if (parsed.positionals.length > 1) {
    throw new EbbError(
      'USAGE',
      `ebb ${spec.command} takes one ${spec.positional}, got ${parsed.positionals.length}: ` +
        `${parsed.positionals.join(' ')}`,
    );
  }
  return parsed;
}

function isParseArgsError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof TypeError &&
    'code' in error &&
    String(error.code).startsWith('ERR_PARSE_ARGS_')
  );
}
