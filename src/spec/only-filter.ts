/**
 * `--only NAME`: which checks and spec-section results (load scenarios) a run keeps. One rule for
 * all of them, so a filter means the same for a check and a load scenario. Pure.
 */

/** A name is kept when it equals the filter or contains it, case-insensitively. */
export function matchesName(name: string, wanted: string): boolean {
  return name === wanted || name.toLowerCase().includes(wanted.toLowerCase());
}

/** True when there is no filter or one of the filters matches. */
export function keptByOnly(name: string, only: readonly string[] | undefined): boolean {
  return !only || only.length === 0 || only.some((wanted) => matchesName(name, wanted));
}

/**
 * The filters that match none of the names a run could produce; all of them unmatched means the
 * run would do nothing (a typo in a CI filter must not be green).
 */
export function unmatchedFilters(only: readonly string[], names: readonly string[]): string[] {
  return only.filter((wanted) => !names.some((name) => matchesName(name, wanted)));
}
