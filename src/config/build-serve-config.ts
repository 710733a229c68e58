/**
 * Builds a ServeConfig from layers of settings (the TOML file, then the flags): each layer is
 * checked on its own so its paths resolve against its own folder, every problem of every layer
 * is reported in one error, and later layers win key by key over earlier ones and the defaults.
 * Pure: no files, no argv.
 */
import { EbbError } from '../errors.js';
import {
  parseSettings,
  toServeConfig,
  type AdminAddress,
  type ServeConfig,
  type Settings,
  type SettingsLayer,
  type SettingProblem,
  type Source,
} from './schema.js';
import { SETTING_NAMES, SETTINGS } from './settings.js';
import { isLoopbackHost } from './address.js';

export interface RawLayer {
  readonly source: Source;
  /** Keyed by setting name as written (`write-idle-timeout`), values as written. */
  readonly input: Readonly<Record<string, unknown>>;
}

export function buildServeConfig(layers: readonly RawLayer[], cwd: string): ServeConfig {
  const parsed = layers.map((layer) => ({
    layer,
    result: parseSettings(layer.input, layer.source),
  }));
  const problems = parsed.flatMap(({ layer, result }) =>
    result.ok ? [] : result.problems.map((problem) => describeProblem(problem, layer)),
  );
  if (problems.length > 0) {
    const noun = problems.length === 1 ? 'problem' : 'problems';
    throw new EbbError(
      'CONFIG_INVALID',
      `invalid configuration (${problems.length} ${noun}):\n${problems.map((line) => `  ${line}`).join('\n')}`,
    );
  }
  const set = parsed.flatMap(({ result }) => (result.ok ? [result.settings] : []));
  const settings = mergeSettings(defaultSettings(cwd), set);
  refuseRemoteAdmin(settings);
  return toServeConfig(settings);
}

/** The admin API reachable from the network only when the operator says so. */
function refuseRemoteAdmin(settings: Settings): void {
  const admin = settings.admin;
  if (admin?.kind !== 'tcp' || settings['admin-allow-remote'] || isLoopbackHost(admin.host)) return;
  const where = admin.host.includes(':')
    ? `[${admin.host}]:${admin.port}`
    : `${admin.host}:${admin.port}`;
  throw new EbbError(
    'CONFIG_INVALID',
    `invalid configuration (1 problem):\n  admin "${where}": expected unix:PATH or a loopback ` +
      'HOST:PORT (127.0.0.1, [::1], localhost); set admin-allow-remote (--admin-allow-remote) ' +
      'to open the admin API to the network',
  );
}

type Computed = 'admin' | 'admin-token-file';
type DefaultSettings = Omit<Settings, Computed>;

/** Later layers win key by key; `admin` and its token file, unless set, sit beside the pid file. */
export function mergeSettings(
  defaults: DefaultSettings,
  layers: readonly SettingsLayer[],
): Settings {
  const merged = layers.reduce<DefaultSettings & SettingsLayer>(
    (settings, layer) => ({ ...settings, ...layer }),
    defaults,
  );
  const pidFile = merged['pid-file'];
  const admin = merged.admin === undefined ? adminBesidePidFile(pidFile) : merged.admin;
  const tokenFile =
    merged['admin-token-file'] === undefined
      ? pidFile === null
        ? null
        : besidePidFile(pidFile, '.admin-token')
      : merged['admin-token-file'];
  return { ...merged, admin, 'admin-token-file': tokenFile };
}

/** `/run/ebb.pid` → `/run/ebb.EXT`; any other name gets EXT appended. */
function besidePidFile(pidFile: string, ext: string): string {
  return `${pidFile.replace(/\.pid$/, '')}${ext}`;
}

/** `/run/ebb.pid` → `/run/ebb.sock`; any other name gets `.sock` appended. */
export function adminBesidePidFile(pidFile: string | null): AdminAddress | null {
  if (pidFile === null) return null;
  return { kind: 'unix', path: besidePidFile(pidFile, '.sock') };
}

/** The defaults of the table in `settings.ts`, checked like flags given in `cwd`. */
function defaultSettings(cwd: string): DefaultSettings {
  const input = Object.fromEntries(
    SETTING_NAMES.flatMap((name) => {
      const value = SETTINGS[name].default;
      return value === undefined ? [] : [[name, value]];
    }),
  );
  const result = parseSettings(input, { kind: 'flags', cwd });
  if (!result.ok)
    throw new Error(`bug: invalid default settings: ${JSON.stringify(result.problems)}`);
  // Every key but the computed ones (see mergeSettings) has a default in the table.
  return result.settings as DefaultSettings;
}

const MAX_VALUE_CHARS = 60;

/** `/etc/ebb.toml: listen[1] "nope:99999": expected …` or `--listen "nope:99999": expected …`. */
function describeProblem(problem: SettingProblem, layer: RawLayer): string {
  const value = describeValue(valueAt(layer.input, problem.path));
  return `${describeKey(problem.path, layer.source)} ${value}: ${problem.message}`;
}

function describeKey(path: SettingProblem['path'], source: Source): string {
  const [name = '', ...indexes] = path;
  if (source.kind === 'file') {
    return `${source.path}: ${name}${indexes.map((index) => `[${index}]`).join('')}`;
  }
  return name === 'root' ? 'ROOT' : `--${name}`;
}

function valueAt(input: unknown, path: SettingProblem['path']): unknown {
  return path.reduce<unknown>(
    (value, key) =>
      typeof value === 'object' && value !== null
        ? (value as Record<string, unknown>)[key]
        : undefined,
    input,
  );
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}
