/** Closed model executor `constant-users` (k6's constant-vus). */
import { PerfspecError } from '../../errors.js';
import type { Executor } from './context.js';
import { runClosedModel } from './run-closed-model.js';

export const constantUsers: Executor = {
  name: 'constant-users',
  model: 'closed',
  validate(plan) {
    // A constant executor holds one level; a shape that moves needs the ramping one.
    if (plan.shape.stages.some((stage) => stage.target !== plan.shape.start)) {
      throw new PerfspecError('PS_SPEC_INVALID', `load scenario "${plan.name}": executor constant-users holds a constant number of users, but the stages change it`, {
        hint: 'Use executor: ramping-users for stages, or drop the stages.',
      });
    }
  },
  run: runClosedModel,
};
