/**
 * The command line of `ebb serve`: `--config FILE`, one flag per setting of `settings.ts`, and
 * one optional ROOT. `--help` text comes from the same table.
 */
import { parseCommandLine, type FlagOptions } from './command-line.js';
import { SETTING_NAMES, SETTINGS, type SettingName, type SettingRow } from './settings.js';

export interface ServeFlags {
  readonly configFile: string | undefined;
  /** Keyed by setting name (`write-idle-timeout`), values as given (`'360s'`, `['8080']`). */
  readonly settings: Readonly<Record<string, unknown>>;
}

const CONFIG_FLAG = {
  name: 'config',
  value: 'FILE',
  help: 'read settings from this TOML file (same keys, without --); flags win over it',
} as const;

function flagOptions(): FlagOptions {
  const options: FlagOptions = { [CONFIG_FLAG.name]: { type: 'string' } };
  for (const name of SETTING_NAMES) {
    const { flag } = SETTINGS[name];
    if (flag === 'positional') continue;
    options[name] =
      flag === 'boolean'
        ? { type: 'boolean' }
        : { type: 'string', multiple: flag === 'repeatable' };
  }
  return options;
}

/** Throws EbbError('USAGE') for an unknown flag, a missing value or a second ROOT. */
export function parseServeFlags(argv: readonly string[]): ServeFlags {
  const { values, positionals } = parseCommandLine(
    { command: 'serve', options: flagOptions(), positional: SETTINGS.root.value },
    argv,
  );
  const { [CONFIG_FLAG.name]: configFile, ...settings } = values;
  const [root] = positionals;
  return {
    configFile: typeof configFile === 'string' ? configFile : undefined,
    settings: root === undefined ? settings : { ...settings, root },
  };
}

/** Each flag's usage (`--listen ADDR`) and help with unit and default: `--help` and ebb(1). */
export function serveFlagRows(): Array<readonly [string, string]> {
  return [
    [`--${CONFIG_FLAG.name} ${CONFIG_FLAG.value}`, CONFIG_FLAG.help],
    ...SETTING_NAMES.map(
      (name) => [usageOf(name, SETTINGS[name]), helpOf(SETTINGS[name])] as const,
    ),
  ];
}

/** One line per flag: name, value, help, unit and default. For `ebb serve --help`. */
export function describeServeFlags(): string {
  const rows = serveFlagRows();
  const width = Math.max(...rows.map(([usage]) => usage.length));
  return rows.map(([usage, help]) => `  ${usage.padEnd(width)}  ${help}`).join('\n');
}

function usageOf(name: SettingName, row: SettingRow): string {
  if (row.flag === 'positional') return `[${row.value}]`;
  return row.value === '' ? `--${name}` : `--${name} ${row.value}`;
}

function helpOf(row: SettingRow): string {
  const unit = row.unit === undefined ? '' : `${row.unit}, `;
  return `${row.help} (${unit}default: ${defaultText(row)})`;
}

function defaultText(row: SettingRow): string {
  if (row.defaultText !== undefined) return row.defaultText;
  if (row.default === null || row.default === undefined) return 'none';
  if (typeof row.default === 'boolean') return row.default ? 'on' : 'off';
  return typeof row.default === 'string' ? row.default : row.default.join(', ');
}
