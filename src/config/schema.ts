/**
 * The one schema of `ebb serve` settings and the ServeConfig type derived from it. zod stays in
 * this file: it gives the strict object (unknown keys are errors) and the key path of each
 * problem; the checks in `values.ts` decide what a value may be.
 */
import { dirname } from 'node:path';
import { z } from 'zod';
import { SETTING_NAMES, SETTINGS, type FieldOf, type SettingName } from './settings.js';
import {
  checkAccessLog,
  checkAccountName,
  checkAdmin,
  checkBoolean,
  checkCountOrOff,
  checkDrainDelay,
  checkDrainNew,
  checkDuration,
  checkDurationOrOff,
  checkFileName,
  checkHeaderValue,
  checkListenList,
  checkOneOf,
  checkOnOff,
  checkPath,
  checkPeerList,
  checkPrefixBits,
  checkRateOrOff,
  type Check,
} from './values.js';

/** Where settings came from: relative paths resolve against the file's folder or the cwd. */
export type Source =
  | { readonly kind: 'flags'; readonly cwd: string }
  | { readonly kind: 'file'; readonly path: string };

/** A problem with one key: its path (`['listen', 1]`) and what is wrong, e.g. `expected …`. */
export interface SettingProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

function setting<T>(check: Check<T>) {
  return z.unknown().transform((value, ctx): T => {
    const checked = check(value);
    if (checked.ok) return checked.value;
    for (const rejection of checked.rejections) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `expected ${rejection.expected}`,
        path: [...rejection.path],
      });
    }
    return z.NEVER;
  });
}

function settingsShape(source: Source) {
  const baseDir = source.kind === 'flags' ? source.cwd : dirname(source.path);
  return {
    root: setting(checkPath(baseDir)),
    listen: setting(checkListenList(1)),
    'listen-tls': setting(checkListenList(0)),
    'tls-cert': setting(checkPath(baseDir)).nullable(),
    'tls-key': setting(checkPath(baseDir)).nullable(),
    'access-log': setting(checkAccessLog(baseDir)),
    index: setting(checkFileName).nullable(),
    listing: setting(source.kind === 'flags' ? checkOnOff : checkBoolean),
    dotfiles: setting(checkOneOf(['deny', 'allow'])),
    'follow-symlinks': setting(checkBoolean),
    'header-timeout': setting(checkDuration('positive')),
    'keepalive-timeout': setting(checkDuration('positive')),
    'write-idle-timeout': setting(checkDuration('positive')),
    'cache-control': setting(checkHeaderValue).nullable(),
    'drain-timeout': setting(checkDurationOrOff),
    'drain-delay': setting(checkDrainDelay),
    'drain-new': setting(checkDrainNew),
    'last-request-window': setting(checkDuration('zero')),
    'max-connections': setting(checkCountOrOff(1)),
    'max-connections-per-ip': setting(checkCountOrOff(1)),
    'ipv6-prefix': setting(checkPrefixBits),
    'rate-per-connection': setting(checkRateOrOff),
    'rate-total': setting(checkRateOrOff),
    'drain-lift-limits': setting(source.kind === 'flags' ? checkOnOff : checkBoolean),
    'pid-file': setting(checkPath(baseDir)).nullable(),
    admin: setting(checkAdmin(baseDir)),
    'admin-allow-remote': setting(checkBoolean),
    'admin-token-file': setting(checkPath(baseDir)).nullable(),
    user: setting(checkAccountName).nullable(),
    group: setting(checkAccountName).nullable(),
    'allow-root': setting(checkBoolean),
    peer: setting(checkPeerList),
    digests: setting(source.kind === 'flags' ? checkOnOff : checkBoolean),
    'state-dir': setting(checkPath(baseDir)).nullable(),
    metalink: setting(source.kind === 'flags' ? checkOnOff : checkBoolean),
  } satisfies Record<SettingName, z.ZodTypeAny>;
}

/** Every setting, keyed by name as the operator writes it. */
export type Settings = z.output<z.ZodObject<ReturnType<typeof settingsShape>>>;

/** What one source sets: any subset of the settings. */
export type SettingsLayer = { [Name in keyof Settings]?: Settings[Name] };

/** The settings `ebb serve` runs with, keyed by field (`headerTimeoutMs`, not `header-timeout`). */
export type ServeConfig = { readonly [Name in keyof Settings as FieldOf<Name>]: Settings[Name] };

export type { AdminAddress, ListenAddress } from './address.js';
export type { AccessLog, DrainDelay, DrainNew } from './values.js';

export type ParsedSettings =
  | { readonly ok: true; readonly settings: SettingsLayer }
  | { readonly ok: false; readonly problems: readonly SettingProblem[] };

/** Checks one source's settings (a parsed TOML table, or flags keyed by name). */
export function parseSettings(
  input: Readonly<Record<string, unknown>>,
  source: Source,
): ParsedSettings {
  const result = z.object(settingsShape(source)).partial().strict().safeParse(input);
  if (!result.success) return { ok: false, problems: result.error.issues.flatMap(toProblems) };
  return { ok: true, settings: withoutUndefined(result.data) };
}

function toProblems(issue: z.ZodIssue): SettingProblem[] {
  if (issue.code === z.ZodIssueCode.unrecognized_keys) {
    const message = `unknown key; expected one of ${SETTING_NAMES.join(', ')}`;
    return issue.keys.map((key) => ({ path: [...issue.path, key], message }));
  }
  return [{ path: issue.path, message: issue.message }];
}

function withoutUndefined(layer: {
  [Name in keyof Settings]?: Settings[Name] | undefined;
}): SettingsLayer {
  return Object.fromEntries(Object.entries(layer).filter(([, value]) => value !== undefined));
}

/** Renames each setting to its ServeConfig field, through the one table in `settings.ts`. */
export function toServeConfig(settings: Settings): ServeConfig {
  const entries = SETTING_NAMES.map((name) => [SETTINGS[name].field, settings[name]] as const);
  return Object.fromEntries(entries) as ServeConfig;
}
