/** Reads the `--config` TOML file into a plain table; the schema checks what is in it. */
import { readFile } from 'node:fs/promises';
import { parse, TomlError } from 'smol-toml';
import { EbbError } from '../errors.js';

export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new EbbError('CONFIG_UNREADABLE', `cannot read config file ${path}: ${reason}`, {
      cause: error,
    });
  });
  return parseToml(text, path);
}

function parseToml(text: string, path: string): Record<string, unknown> {
  try {
    return parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const [summary = ''] = error.message.split('\n');
    throw new EbbError(
      'CONFIG_UNREADABLE',
      `${path}: TOML syntax error at line ${error.line}, column ${error.column}: ${summary}\n${error.codeblock}`,
      { cause: error },
    );
  }
}
