/**
 * The probe and service tables. Adding a probe kind or a service is one line here and one module
 * of its own; the engine iterates these tables and never switches on a kind.
 *
 * Each entry names the spec key it serves and a loader: a module (and the libraries behind it:
 * the SQL parser, ioredis, pg, the load engine) is imported only when a spec uses that key, so
 * `perfspec validate` on an endpoint-only spec never loads Redis or PostgreSQL code.
 *
 * These lines are also how the build finds each module's schema fragment: `schema.json` in the
 * folder the loader imports from (scripts/compose-spec-schema.mjs parses this file). Keep each
 * loader a literal `import('./<folder>/….js')`.
 */
import type { PerfspecSpec } from '../generated/spec-types.js';
import { sectionOf, type CheckKey, type CheckProbe, type SectionKey, type ServiceKind, type SpecProbe } from './types.js';

export interface CheckProbeEntry {
  kind: string;
  /** The key on a check that enables this probe; undefined = always on (every check uses it). */
  key?: CheckKey;
  load(): Promise<CheckProbe>;
}

export interface SpecProbeEntry {
  kind: string;
  /** The top-level key of the spec this probe owns. */
  key: SectionKey;
  load(): Promise<SpecProbe>;
}

export interface ServiceKindEntry {
  /** The key under `services`. */
  name: string;
  load(): Promise<ServiceKind>;
}

/** Probes run for each entry of `checks`, in this order (a probe with a `key` runs only when the check has it). */
export const CHECK_PROBES: readonly CheckProbeEntry[] = [
  { kind: 'endpoint', load: async () => (await import('./endpoint/index.js')).endpointProbe },
  { kind: 'queries', key: 'queries', load: async () => (await import('./queries/index.js')).queriesProbe },
  { kind: 'cache', key: 'cache', load: async () => (await import('./cache/index.js')).cacheProbe },
  { kind: 'size', key: 'size', load: async () => (await import('./size/index.js')).sizeProbe },
];

/** Probes that own a top-level section of the spec. */
export const SPEC_PROBES: readonly SpecProbeEntry[] = [{ kind: 'load', key: 'load', load: async () => (await import('./load/index.js')).loadProbe }];

/** Services opened once per spec run, keyed by their name under `services`. */
export const SERVICE_KINDS: readonly ServiceKindEntry[] = [
  { name: 'postgres', load: async () => (await import('../sources/postgres/service.js')).postgresService },
  { name: 'redis', load: async () => (await import('../sources/redis/service.js')).redisService },
];

export interface LoadedTables {
  checkProbes: readonly CheckProbe[];
  specProbes: readonly SpecProbe[];
  serviceKinds: readonly ServiceKind[];
}

/** Which entries of the tables the specs use. Pure. */
export function entriesUsedBy(specs: readonly PerfspecSpec[]): {
  checkProbes: CheckProbeEntry[];
  specProbes: SpecProbeEntry[];
  serviceKinds: ServiceKindEntry[];
} {
  const checks = specs.flatMap((spec) => spec.checks ?? []);
  const services = specs.map((spec) => (spec.services ?? {}) as Record<string, unknown>);
  return {
    checkProbes: CHECK_PROBES.filter((entry) => checks.some((check) => entry.key === undefined || check[entry.key] !== undefined)),
    specProbes: SPEC_PROBES.filter((entry) => specs.some((spec) => sectionOf(spec, entry.key) !== undefined)),
    serviceKinds: SERVICE_KINDS.filter((entry) => services.some((configured) => configured[entry.name] !== undefined)),
  };
}

/**
 * Import the probes and services the specs use, in table order (the order probes run in).
 * `services: false` (validation) leaves the service modules, and their drivers, unloaded.
 */
export async function loadTablesFor(specs: readonly PerfspecSpec[], options: { services?: boolean } = {}): Promise<LoadedTables> {
  const used = entriesUsedBy(specs);
  if (options.services === false) used.serviceKinds = [];
  const [checkProbes, specProbes, serviceKinds] = await Promise.all([
    Promise.all(used.checkProbes.map((entry) => entry.load())),
    Promise.all(used.specProbes.map((entry) => entry.load())),
    Promise.all(used.serviceKinds.map((entry) => entry.load())),
  ]);
  return { checkProbes, specProbes, serviceKinds };
}
