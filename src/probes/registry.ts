/**
 * The probe and service tables. Adding a probe kind or a service is one line here and one module
 * of its own; the engine iterates these tables and never switches on a kind.
 */
import { endpointProbe } from './endpoint/index.js';
import { cacheProbe } from './cache/index.js';
import { queriesProbe } from './queries/index.js';
import { loadProbe } from './load/index.js';
import { sizeProbe } from './size/index.js';
import { postgresService } from '../sources/postgres/service.js';
import { redisService } from '../sources/redis/service.js';
import type { CheckProbe, ServiceKind, SpecProbe } from './types.js';

/** Probes run for each entry of `checks`, in this order (a probe with a `key` runs only when the check has it). */
export const CHECK_PROBES: readonly CheckProbe[] = [
  endpointProbe,
  queriesProbe,
  cacheProbe,
  sizeProbe,
];

/** Probes that own a top-level section of the spec. */
export const SPEC_PROBES: readonly SpecProbe[] = [
  loadProbe,
];

/** Services opened once per spec run, keyed by their name under `services`. */
export const SERVICE_KINDS: readonly ServiceKind[] = [
  postgresService,
  redisService,
];
