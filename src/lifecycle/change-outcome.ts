/** How a reload or an upgrade ended, as the admin API answers and `ebb reload|upgrade` print. */

export type ReloadOutcome =
  | { readonly kind: 'applied'; readonly changes: readonly string[] }
  /** Nothing was changed: the old configuration keeps serving. */
  | { readonly kind: 'rejected'; readonly problems: readonly string[] };

export type UpgradeOutcome =
  | { readonly kind: 'upgraded'; readonly pid: number; readonly oldPid: number }
  /** The new process was stopped (or never started); this one keeps serving and accepting. */
  | { readonly kind: 'failed'; readonly problem: string };
