/**
 * `ebb serve`'s config: flags over the optional `--config` TOML file over the defaults. The edge
 * that reads argv and the file; `buildServeConfig` decides.
 */
import { resolve } from 'node:path';
import { buildServeConfig, type RawLayer } from './build-serve-config.js';
import { readConfigFile } from './config-file.js';
import type { ServeConfig } from './schema.js';
import { parseServeFlags } from './serve-flags.js';

/**
 * `argv` is everything after `ebb serve`. Throws EbbError: USAGE (bad flags),
 * CONFIG_UNREADABLE (file missing or not TOML), CONFIG_INVALID (every bad value, one per line).
 */
export async function loadServeConfig(argv: readonly string[], cwd: string): Promise<ServeConfig> {
  const flags = parseServeFlags(argv);
  const flagLayer: RawLayer = { source: { kind: 'flags', cwd }, input: flags.settings };
  if (flags.configFile === undefined) return buildServeConfig([flagLayer], cwd);
  const path = resolve(cwd, flags.configFile);
  const fileLayer: RawLayer = { source: { kind: 'file', path }, input: await readConfigFile(path) };
  return buildServeConfig([fileLayer, flagLayer], cwd);
}
