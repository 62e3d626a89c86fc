/**
 * The executor table (k6's lib/executors.go): each executor lives in its own file and is
 * registered here; nothing else in the engine switches on an executor's name.
 *
 * The build reads this table too (scripts/compose-spec-schema.mjs): its keys, in order, are the
 * schema's `executor` enum, and `./x.schema.json` beside an executor's file `./x.ts` (optional)
 * adds that executor's keys to a load scenario. Keep each entry `'name': importedExecutor`.
 */
import { PerfspecError } from '../../errors.js';
import type { ExecutorName } from '../types.js';
import { constantArrivalRate } from './constant-arrival-rate.js';
import { constantUsers } from './constant-users.js';
import type { Executor } from './context.js';
import { rampingArrivalRate } from './ramping-arrival-rate.js';
import { rampingUsers } from './ramping-users.js';

export const EXECUTORS: Record<ExecutorName, Executor> = {
  'constant-users': constantUsers,
  'ramping-users': rampingUsers,
  'constant-arrival-rate': constantArrivalRate,
  'ramping-arrival-rate': rampingArrivalRate,
};

export const EXECUTOR_NAMES = Object.keys(EXECUTORS) as ExecutorName[];

export function modelOf(name: ExecutorName): 'closed' | 'open' {
  const executor = EXECUTORS[name];
  if (!executor) {
    throw new PerfspecError('PS_SPEC_INVALID', `unknown executor "${name}"`, { hint: `Use one of: ${EXECUTOR_NAMES.join(', ')}.` });
  }
  return executor.model;
}
