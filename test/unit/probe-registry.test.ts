/** Which probes and services a spec makes perfspec import (the registry's lazy tables). */
import { describe, expect, it } from 'vitest';
import type { PerfspecSpec } from '../../src/generated/spec-types.js';
import { CHECK_PROBES, entriesUsedBy, loadTablesFor, SERVICE_KINDS, SPEC_PROBES } from '../../src/probes/registry.js';

const spec = (extra: Record<string, unknown>): PerfspecSpec =>
  ({ perfspec: 1, name: 'x', target: { baseUrl: 'http://127.0.0.1:1' }, ...extra }) as unknown as PerfspecSpec;
const kinds = (used: ReturnType<typeof entriesUsedBy>) => ({
  checkProbes: used.checkProbes.map((entry) => entry.kind),
  specProbes: used.specProbes.map((entry) => entry.kind),
  serviceKinds: used.serviceKinds.map((entry) => entry.name),
});

describe('entriesUsedBy', () => {
  it('a spec without checks, load or services uses nothing', () => {
    expect(kinds(entriesUsedBy([spec({})]))).toEqual({ checkProbes: [], specProbes: [], serviceKinds: [] });
  });

  it('every check uses the endpoint probe; keyed probes only when a check has their key', () => {
    const used = entriesUsedBy([
      spec({
        checks: [
          { name: 'a', request: 'GET /' },
          { name: 'b', request: 'GET /', cache: { keys: [] } },
        ],
      }),
    ]);
    expect(kinds(used)).toEqual({ checkProbes: ['endpoint', 'cache'], specProbes: [], serviceKinds: [] });
  });

  it('top-level sections and configured services, across several specs, in table order', () => {
    const used = entriesUsedBy([
      spec({ services: { redis: { url: 'redis://127.0.0.1' } }, checks: [{ name: 'c', request: 'GET /', queries: {} }] }),
      spec({ load: { scenarios: {} }, services: { postgres: { url: 'postgres://127.0.0.1/x' } } }),
    ]);
    expect(kinds(used)).toEqual({ checkProbes: ['endpoint', 'queries'], specProbes: ['load'], serviceKinds: ['postgres', 'redis'] });
  });

  it('a service named but left empty is not opened', () => {
    expect(kinds(entriesUsedBy([spec({ services: { redis: undefined } })])).serviceKinds).toEqual([]);
  });
});

describe('the lazy loaders', () => {
  it('each entry loads the module of its own kind and key', async () => {
    for (const entry of CHECK_PROBES) {
      const probe = await entry.load();
      expect([probe.kind, probe.key]).toEqual([entry.kind, entry.key]);
    }
    for (const entry of SPEC_PROBES) {
      const probe = await entry.load();
      expect([probe.kind, probe.key]).toEqual([entry.kind, entry.key]);
    }
    for (const entry of SERVICE_KINDS) expect((await entry.load()).name).toBe(entry.name);
  });

  it('loadTablesFor leaves services out when asked (validation)', async () => {
    const tables = await loadTablesFor([spec({ services: { redis: { url: 'redis://127.0.0.1' } }, checks: [{ name: 'a', request: 'GET /' }] })], {
      services: false,
    });
    expect(tables.checkProbes.map((probe) => probe.kind)).toEqual(['endpoint']);
    expect(tables.serviceKinds).toEqual([]);
  });
});
