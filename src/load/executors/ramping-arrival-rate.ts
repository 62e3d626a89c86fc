/** Open model executor `ramping-arrival-rate` (k6's ramping-arrival-rate). */
import { planStages } from '../plan/stage-plan.js';
import type { Executor } from './context.js';
import { describeRate, prepareOpenModel, runOpenModel } from './run-open-model.js';

export const rampingArrivalRate: Executor = {
  name: 'ramping-arrival-rate',
  model: 'open',
  impliedFor: 'moving',
  // Any stage shape is valid: targets move linearly from one stage to the next.
  plan: (config, where) => planStages(config, 'open', where),
  describe: describeRate,
  prepare: prepareOpenModel,
  run: runOpenModel,
};
