/** Closed model executor `ramping-users` (k6's ramping-vus). */
import type { Executor } from './context.js';
import { runClosedModel } from './run-closed-model.js';

export const rampingUsers: Executor = {
  name: 'ramping-users',
  model: 'closed',
  validate() {
    // Any stage shape is valid: targets move linearly from one stage to the next.
  },
  run: runClosedModel,
};
