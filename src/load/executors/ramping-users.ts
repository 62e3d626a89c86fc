/** Closed model executor `ramping-users` (k6's ramping-vus). */
import { planStages } from '../plan/stage-plan.js';
import type { Executor } from './context.js';
import { describeUsers, runClosedModel } from './run-closed-model.js';

export const rampingUsers: Executor = {
  name: 'ramping-users',
  model: 'closed',
  impliedFor: 'moving',
  // Any stage shape is valid: targets move linearly from one stage to the next.
  plan: (config, where) => planStages(config, 'closed', where),
  describe: describeUsers,
  run: runClosedModel,
};
