/**
 * The registered executors (registry.ts) as a table: by name, the one a scenario implies when it
 * names none, and which executors own a scenario key. Pure.
 */
import { PerfspecError } from '../../errors.js';
import type { Executor } from './context.js';
import * as registered from './registry.js';

/** By name (the order of the schema's executor enum, scripts/compose-spec-schema.mjs). */
export const EXECUTOR_LIST: readonly Executor[] = (Object.values(registered) as Executor[]).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

export const EXECUTORS: Readonly<Record<string, Executor>> = Object.fromEntries(EXECUTOR_LIST.map((executor) => [executor.name, executor]));

export const EXECUTOR_NAMES: readonly string[] = EXECUTOR_LIST.map((executor) => executor.name);

export function executorNamed(name: string, where = 'load scenario'): Executor {
  const executor = Object.hasOwn(EXECUTORS, name) ? EXECUTORS[name] : undefined;
  if (!executor) throw new PerfspecError('PS_SPEC_INVALID', `${where}: unknown executor "${name}"`, { hint: `Use one of: ${EXECUTOR_NAMES.join(', ')}.` });
  return executor;
}

/** The executor a scenario that names none runs: the one of its model registered for a flat or a moving shape. */
export function impliedExecutor(model: 'closed' | 'open', flat: boolean): Executor {
  const wanted = flat ? 'flat' : 'moving';
  const executor = EXECUTOR_LIST.find((e) => e.model === model && e.impliedFor === wanted);
  // A programming error, not a spec error: the registry always holds one of each.
  if (!executor) throw new Error(`no executor is registered for a ${wanted} ${model}-model shape`);
  return executor;
}

/** Scenario keys that belong to executors (their configKeys) → the executors that read each. */
export function executorOwnedKeys(): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const executor of EXECUTOR_LIST) {
    for (const key of executor.configKeys ?? []) owners.set(key, [...(owners.get(key) ?? []), executor.name]);
  }
  return owners;
}
