/** Closed model executor `constant-users` (k6's constant-vus). */
import { planStages, requireFlat } from '../plan/stage-plan.js';
import type { Executor } from './context.js';
import { describeUsers, runClosedModel } from './run-closed-model.js';

export const constantUsers: Executor = {
  name: 'constant-users',
  model: 'closed',
  impliedFor: 'flat',
  plan: (config, where) =>
    requireFlat(
      planStages(config, 'closed', where),
      where,
      'executor constant-users holds a constant number of users, but the stages change it',
      'Use executor: ramping-users for stages, or drop the stages.',
    ),
  describe: describeUsers,
  run: runClosedModel,
};
