/**
 * The executor table (k6's lib/executors.go): each executor lives in its own file and is
 * registered here with one line. Nothing else in the engine, the reports or the schema build
 * names an executor: they read this table (through executor-table.ts).
 */
export { constantUsers } from './constant-users.js';
export { rampingUsers } from './ramping-users.js';
export { constantArrivalRate } from './constant-arrival-rate.js';
export { rampingArrivalRate } from './ramping-arrival-rate.js';
export { perVuIterations } from './per-vu-iterations.js';
export { sharedIterations } from './shared-iterations.js';
