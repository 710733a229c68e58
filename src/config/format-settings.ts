/**
 * A ServeConfig written back as the TOML file that would give it (`ebb check` prints it): every
 * setting of the table in `settings.ts`, in its order, unset ones as comments. Pure.
 */
import type { AdminAddress, ListenAddress, ServeConfig } from './schema.js';
import { AUTO_DRAIN_ANSWERS, type AccessLog, type DrainDelay, type DrainNew } from './values.js';
import { SETTING_NAMES, SETTINGS, type SettingName, type SettingRow } from './settings.js';

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** The largest unit that writes `ms` exactly: 360000 → `6m`, 1500 → `1500ms`. */
export function formatDurationMs(ms: number): string {
  for (const [unit, size] of UNITS) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return ms === 0 ? '0s' : `${ms}ms`;
}

function hostPort(address: ListenAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}

function accessLogText(log: AccessLog): string {
  return log.kind === 'file' ? log.path : log.kind === 'stdout' ? '-' : 'off';
}

function drainNewText(policy: DrainNew): string {
  if (policy.kind === 'redirect') return `redirect=${policy.url}`;
  return policy.kind === 'status503' ? '503' : 'refuse';
}

function drainDelayText(delay: DrainDelay): string {
  if (delay.kind === 'fixed') return formatDurationMs(delay.ms);
  return delay.answers === AUTO_DRAIN_ANSWERS ? 'auto' : `auto=${delay.answers}`;
}

function adminText(admin: AdminAddress | null): string {
  if (admin === null) return 'off';
  return admin.kind === 'unix' ? `unix:${admin.path}` : hostPort(admin);
}

/** The TOML value of one setting, or null when it is unset. */
function tomlValue(name: SettingName, config: ServeConfig): string | null {
  const value: unknown = (config as Readonly<Record<string, unknown>>)[SETTINGS[name].field];
  switch (name) {
    case 'listen':
      return `[${config.listen.map((a) => JSON.stringify(hostPort(a))).join(', ')}]`;
    case 'access-log':
      return JSON.stringify(accessLogText(config.accessLog));
    case 'drain-new':
      return JSON.stringify(drainNewText(config.drainNew));
    case 'drain-delay':
      return JSON.stringify(drainDelayText(config.drainDelay));
    case 'admin':
      return JSON.stringify(adminText(config.admin));
    default:
      break;
  }
  const row: SettingRow = SETTINGS[name];
  if (row.unit === 'duration') {
    return JSON.stringify(typeof value === 'number' ? formatDurationMs(value) : 'off');
  }
  if (value === null || value === undefined) return null;
  return typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

export function formatSettings(config: ServeConfig): string {
  return SETTING_NAMES.map((name) => {
    const value = tomlValue(name, config);
    return value === null ? `# ${name} = (not set)` : `${name} = ${value}`;
  }).join('\n');
}
