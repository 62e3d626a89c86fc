// Types of scripts/compose-spec-schema.mjs, for the tests that import it.
export type FragmentKind = 'check' | 'spec' | 'service' | 'executor';
export interface Fragment {
  $comment?: string;
  properties?: Record<string, unknown>;
  $defs?: Record<string, unknown>;
}
export interface OwnedFragment {
  owner: string;
  kind: FragmentKind;
  fragment: Fragment;
  module?: string;
}
export const TARGETS: Record<FragmentKind, string[][]>;
export class CompositionError extends Error {}
export function composeSchema(
  base: Record<string, unknown>,
  fragments: OwnedFragment[],
  options?: { executorNames?: string[]; comment?: string; closeForEditors?: boolean },
): Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export function readFragments(root?: string): { fragments: OwnedFragment[]; executorNames: string[] };
export function formatJson(value: unknown, width?: number): string;
