/** Open model executor `ramping-arrival-rate` (k6's ramping-arrival-rate). */
import type { Executor } from './context.js';
import { prepareOpenModel, runOpenModel } from './run-open-model.js';

export const rampingArrivalRate: Executor = {
  name: 'ramping-arrival-rate',
  model: 'open',
  validate() {
    // Any stage shape is valid: targets move linearly from one stage to the next.
  },
  prepare: prepareOpenModel,
  run: runOpenModel,
};
