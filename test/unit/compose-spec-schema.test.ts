/** The spec schema composed from the base and the fragments the registered modules own (scripts/compose-spec-schema.mjs). */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { composeSchema, CompositionError, formatJson, readFragments, type OwnedFragment } from '../../scripts/compose-spec-schema.mjs';
import { EXECUTOR_NAMES } from '../../src/load/executors/executor-table.js';

const base = () => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { name: { type: 'string' }, checks: { type: 'array', items: { $ref: '#/$defs/check' } } },
  $defs: {
    check: { type: 'object', additionalProperties: false, properties: { name: { type: 'string' } } },
    services: { type: 'object', properties: {} },
  },
});
const loadFragment: OwnedFragment = {
  owner: 'load',
  kind: 'spec',
  fragment: {
    properties: { load: { $ref: '#/$defs/load' } },
    $defs: {
      load: { type: 'object', allOf: [{ $ref: '#/$defs/loadScenarioKeys' }], properties: { scenarios: { type: 'object' } }, unevaluatedProperties: false },
      loadScenario: { type: 'object', allOf: [{ $ref: '#/$defs/loadScenarioKeys' }], unevaluatedProperties: false },
      loadScenarioKeys: { type: 'object', properties: { executor: { enum: [] }, users: { type: 'integer' } } },
    },
  },
};
const sizeFragment: OwnedFragment = {
  owner: 'src/probes/size/schema.json',
  kind: 'check',
  fragment: { properties: { size: { $ref: '#/$defs/sizeBudget' } }, $defs: { sizeBudget: { type: 'object' } } },
};

describe('composeSchema', () => {
  it("adds a check probe's key to a check and its definitions to $defs, after the base's", () => {
    const schema = composeSchema(base(), [sizeFragment]);
    expect(Object.keys(schema.$defs.check.properties)).toEqual(['name', 'size']);
    expect(schema.$defs.check.properties.size).toEqual({ $ref: '#/$defs/sizeBudget' });
    expect(Object.keys(schema.$defs)).toEqual(['check', 'services', 'sizeBudget']);
  });

  it('adds a spec probe to the top level and a service to services', () => {
    const redis: OwnedFragment = { owner: 'redis', kind: 'service', fragment: { properties: { redis: { type: 'object' } } } };
    const schema = composeSchema(base(), [loadFragment, redis]);
    expect(Object.keys(schema.properties)).toEqual(['name', 'checks', 'load']);
    expect(schema.$defs.services.properties).toEqual({ redis: { type: 'object' } });
  });

  it("adds an executor's keys to the scenario keys both forms of a load scenario take, and lists the executors in the enum", () => {
    const perVu: OwnedFragment = { owner: 'per-vu-iterations', kind: 'executor', fragment: { properties: { iterations: { type: 'integer', minimum: 1 } } } };
    const schema = composeSchema(base(), [loadFragment, perVu], { executorNames: ['constant-users', 'per-vu-iterations'] });
    expect(schema.$defs.loadScenarioKeys.properties.iterations).toEqual({ type: 'integer', minimum: 1 });
    expect(schema.$defs.loadScenarioKeys.properties.executor.enum).toEqual(['constant-users', 'per-vu-iterations']);
    // Listed once in the source: without the editors' copy of the names, both forms take them through allOf.
    const source = composeSchema(base(), [loadFragment, perVu], { executorNames: ['constant-users', 'per-vu-iterations'], closeForEditors: false });
    expect(source.$defs.load.properties).toEqual({ scenarios: { type: 'object' } });
    expect(source.$defs.loadScenario.properties).toBeUndefined();
    expect(source.$defs.loadScenario.unevaluatedProperties).toBe(false);
  });

  it('lists the shared key names for draft-7 editors, so they complete them and underline an unknown key', () => {
    const perVu: OwnedFragment = { owner: 'per-vu-iterations', kind: 'executor', fragment: { properties: { iterations: { type: 'integer', minimum: 1 } } } };
    const schema = composeSchema(base(), [loadFragment, perVu], { executorNames: ['constant-users', 'per-vu-iterations'] });
    // Names only (`true`): the value's schema stays the one loadScenarioKeys gives.
    expect(schema.$defs.load.properties).toEqual({ executor: true, users: true, iterations: true, scenarios: { type: 'object' } });
    expect(schema.$defs.loadScenario.properties).toEqual({ executor: true, users: true, iterations: true });
    for (const name of ['load', 'loadScenario']) {
      expect(schema.$defs[name].additionalProperties).toBe(false);
      expect(schema.$defs[name].unevaluatedProperties).toBeUndefined();
    }
    // A draft-7 validator (which knows no unevaluatedProperties, like VS Code's YAML extension) now
    // refuses an unknown key and still checks a known key's value.
    const { $schema: _draft, ...draft7 } = schema;
    const validate = new Ajv({ strict: false }).compile({ ...draft7, properties: { ...draft7.properties, load: { $ref: '#/$defs/load' } } });
    expect(validate({ name: 'x', load: { users: 1 } })).toBe(true);
    expect(validate({ name: 'x', load: { usres: 1 } })).toBe(false);
    expect(validate({ name: 'x', load: { users: 'many' } })).toBe(false);
    expect(validate({ name: 'x', load: { scenarios: { a: {} } } })).toBe(true);
  });

  it('refuses an allOf reference that is not a local definition', () => {
    const broken = base();
    Object.assign(broken.$defs, { odd: { type: 'object', allOf: [{ $ref: 'https://example.com/x.json' }], unevaluatedProperties: false } });
    expect(() => composeSchema(broken, [])).toThrow(CompositionError);
  });

  it('refuses a key two fragments claim, naming both owners', () => {
    const other: OwnedFragment = { owner: 'src/probes/other/schema.json', kind: 'check', fragment: { properties: { size: { type: 'string' } } } };
    expect(() => composeSchema(base(), [sizeFragment, other])).toThrow(CompositionError);
    expect(() => composeSchema(base(), [sizeFragment, other])).toThrow(
      'src/probes/other/schema.json: $defs.check.properties.size is already defined by src/probes/size/schema.json',
    );
  });

  it('refuses a key or a definition the base already has', () => {
    const clash: OwnedFragment = { owner: 'x', kind: 'check', fragment: { properties: { name: { type: 'number' } } } };
    expect(() => composeSchema(base(), [clash])).toThrow('x: $defs.check.properties.name is already defined by the base schema');
    const defClash: OwnedFragment = { owner: 'y', kind: 'check', fragment: { $defs: { services: {} } } };
    expect(() => composeSchema(base(), [defClash])).toThrow('y: $defs.services is already defined by the base schema');
  });

  it('lets executors share a key when they agree on its schema, joining their descriptions', () => {
    const perVu: OwnedFragment = {
      owner: 'per-vu',
      kind: 'executor',
      fragment: { properties: { iterations: { type: 'integer', minimum: 1, description: 'per-vu: each user.' } } },
    };
    const shared: OwnedFragment = {
      owner: 'shared',
      kind: 'executor',
      fragment: { properties: { iterations: { type: 'integer', minimum: 1, description: 'shared: in all.' } } },
    };
    const schema = composeSchema(base(), [loadFragment, perVu, shared]);
    expect(schema.$defs.loadScenarioKeys.properties.iterations).toEqual({ type: 'integer', minimum: 1, description: 'per-vu: each user. shared: in all.' });
    const disagreeing: OwnedFragment = { owner: 'other', kind: 'executor', fragment: { properties: { iterations: { type: 'number' } } } };
    expect(() => composeSchema(base(), [loadFragment, perVu, disagreeing])).toThrow(
      'other: $defs.loadScenarioKeys.properties.iterations differs from the schema per-vu gives it (executors that share a key must agree on it; only descriptions may differ)',
    );
  });

  it('refuses an executor key the load section already has, naming the load fragment', () => {
    const clash: OwnedFragment = { owner: 'per-vu', kind: 'executor', fragment: { properties: { users: { type: 'integer' } } } };
    expect(() => composeSchema(base(), [loadFragment, clash])).toThrow('per-vu: $defs.loadScenarioKeys.properties.users is already defined by load');
  });

  it('an executor fragment needs the load section to add to', () => {
    const perVu: OwnedFragment = { owner: 'per-vu', kind: 'executor', fragment: { properties: { iterations: {} } } };
    expect(() => composeSchema(base(), [perVu])).toThrow('per-vu: the schema has no $defs.loadScenarioKeys to add to');
  });

  it('leaves its input untouched and puts the generated-file comment right after $schema', () => {
    const input = base();
    const schema = composeSchema(input, [sizeFragment], { comment: 'generated' });
    expect(input).toEqual(base());
    expect(Object.keys(schema).slice(0, 2)).toEqual(['$schema', '$comment']);
  });
});

describe('readFragments', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root!, file)), { recursive: true });
    writeFileSync(path.join(root!, file), text);
  };

  it('finds each fragment through its registry line: a new probe is one folder and one line', () => {
    root = mkdtempSync(path.join(tmpdir(), 'perfspec-compose-'));
    write(
      'src/probes/registry.ts',
      [
        'export const CHECK_PROBES = [',
        "  { kind: 'endpoint', load: async () => (await import('./endpoint/index.js')).endpointProbe },",
        "  { kind: 'weight', key: 'weight', load: async () => (await import('./weight/index.js')).weightProbe },",
        '];',
        "export const SPEC_PROBES = [{ kind: 'load', key: 'load', load: async () => (await import('./load/index.js')).loadProbe }];",
        "export const SERVICE_KINDS = [{ name: 'redis', load: async () => (await import('../sources/redis/service.js')).redisService }];",
      ].join('\n'),
    );
    write('src/probes/weight/schema.json', JSON.stringify({ properties: { weight: { type: 'string' } } }));
    write('src/probes/load/schema.json', JSON.stringify(loadFragment.fragment));
    write('src/sources/redis/schema.json', JSON.stringify({ properties: { redis: { type: 'object' } } }));
    write(
      'src/load/executors/registry.ts',
      ["export { perVuIterations } from './per-vu-iterations.js';", "export { constantUsers } from './constant-users.js';"].join('\n'),
    );
    write('src/load/executors/per-vu-iterations.schema.json', JSON.stringify({ properties: { iterations: { type: 'integer' } } }));

    const { fragments, executorNames } = readFragments(root);
    // endpoint and constant-users have no fragment: they add nothing.
    expect(fragments.map((entry) => [entry.owner, entry.kind])).toEqual([
      ['src/probes/weight/schema.json', 'check'],
      ['src/probes/load/schema.json', 'spec'],
      ['src/sources/redis/schema.json', 'service'],
      ['src/load/executors/per-vu-iterations.schema.json', 'executor'],
    ]);
    expect(executorNames).toEqual(['constant-users', 'per-vu-iterations']);
    const schema = composeSchema(base(), fragments, { executorNames });
    expect(schema.$defs.check.properties.weight).toEqual({ type: 'string' });
    expect(schema.$defs.loadScenarioKeys.properties.iterations).toEqual({ type: 'integer' });
  });

  it("the load fragment lists a scenario's keys once, for the section and for each scenario", () => {
    const { $defs } = JSON.parse(readFileSync(new URL('../../src/probes/load/schema.json', import.meta.url), 'utf8'));
    expect(Object.keys($defs.load.properties)).toEqual(['default', 'shards', 'scenarios']);
    expect($defs.loadScenario.properties).toBeUndefined();
    for (const name of ['load', 'loadScenario']) {
      expect($defs[name].allOf).toEqual([{ $ref: '#/$defs/loadScenarioKeys' }]);
      expect($defs[name].unevaluatedProperties).toBe(false);
    }
    expect(Object.keys($defs.loadScenarioKeys.properties)).toContain('users');
  });

  it("the repository's registries compose to the committed schema", () => {
    const { fragments, executorNames } = readFragments();
    const committed = JSON.parse(readFileSync(new URL('../../schemas/perfspec.schema.json', import.meta.url), 'utf8'));
    const composed = composeSchema(JSON.parse(readFileSync(new URL('../../src/spec/schema.base.json', import.meta.url), 'utf8')), fragments, {
      executorNames,
      comment: committed.$comment,
    });
    expect(composed).toEqual(committed);
    // The enum is the engine's table, name for name and in its order.
    expect(executorNames).toEqual([...EXECUTOR_NAMES]);
  });
});

describe('formatJson', () => {
  it('keeps what fits on a line on one line and round-trips', () => {
    const value = { a: { b: [1, 2] }, long: 'x'.repeat(200), nested: { deep: { list: ['y'.repeat(150)] } } };
    const text = formatJson(value);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).toContain('"a": { "b": [1, 2] }');
    expect(text.endsWith('}\n')).toBe(true);
  });
});
