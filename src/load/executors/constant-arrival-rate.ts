/** Open model executor `constant-arrival-rate` (k6's constant-arrival-rate). */
import { PerfspecError } from '../../errors.js';
import type { Executor } from './context.js';
import { prepareOpenModel, runOpenModel } from './run-open-model.js';

export const constantArrivalRate: Executor = {
  name: 'constant-arrival-rate',
  model: 'open',
  validate(plan) {
    // A constant executor holds one level; a shape that moves needs the ramping one.
    if (plan.shape.stages.some((stage) => stage.target !== plan.shape.start)) {
      throw new PerfspecError('PS_SPEC_INVALID', `load scenario "${plan.name}": executor constant-arrival-rate holds a constant number of arrivals per second, but the stages change it`, {
        hint: 'Use executor: ramping-arrival-rate for stages, or drop the stages.',
      });
    }
  },
  prepare: prepareOpenModel,
  run: runOpenModel,
};
