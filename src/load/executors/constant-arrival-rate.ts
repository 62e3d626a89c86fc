/** Open model executor `constant-arrival-rate` (k6's constant-arrival-rate). */
import { planStages, requireFlat } from '../plan/stage-plan.js';
import type { Executor } from './context.js';
import { describeRate, prepareOpenModel, runOpenModel } from './run-open-model.js';

export const constantArrivalRate: Executor = {
  name: 'constant-arrival-rate',
  model: 'open',
  impliedFor: 'flat',
  plan: (config, where) =>
    requireFlat(
      planStages(config, 'open', where),
      where,
      'executor constant-arrival-rate holds a constant number of arrivals per second, but the stages change it',
      'Use executor: ramping-arrival-rate for stages, or drop the stages.',
    ),
  describe: describeRate,
  prepare: prepareOpenModel,
  run: runOpenModel,
};
