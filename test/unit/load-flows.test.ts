import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileScenario } from '../../src/load/flows/compile-flows.js';
import { createRowPicker, parseCsv } from '../../src/load/flows/data-source.js';
import { parseJsonPath, readJsonPath } from '../../src/spec/json-path.js';
import { compileJson, compileTemplate, renderTemplate, type TemplateScope } from '../../src/spec/interpolate.js';
import { createWeightedPicker } from '../../src/load/flows/weighted-pick.js';
import type { LoadScenarioConfig } from '../../src/load/types.js';

describe('weighted selection', () => {
  it('picks each option exactly its share over a full cycle, evenly spread', () => {
    const weights = [5, 15, 40, 20, 15, 5];
    const picker = createWeightedPicker(weights);
    const counts = weights.map(() => 0);
    for (let i = 0; i < 1000; i++) counts[picker.next()]++;
    expect(counts).toEqual([50, 150, 400, 200, 150, 50]);
    // Spread: in any 20 consecutive picks the 40 % option appears 8 times (±1).
    const window = Array.from({ length: 20 }, () => picker.next());
    expect(Math.abs(window.filter((i) => i === 2).length - 8)).toBeLessThanOrEqual(1);
  });

  it('never picks a zero weight and rejects nonsense', () => {
    const picker = createWeightedPicker([0, 1]);
    expect(new Set(Array.from({ length: 10 }, () => picker.next()))).toEqual(new Set([1]));
    expect(() => createWeightedPicker([])).toThrow();
    expect(() => createWeightedPicker([0, 0])).toThrow();
    expect(() => createWeightedPicker([-1, 2])).toThrow();
  });
});

describe('JSONPath subset', () => {
  const doc = { data: { items: [{ id: 7 }, { id: 8 }], 'odd key': 'x' }, token: 'abc' };

  it('parses and reads dotted keys, indexes and quoted keys', () => {
    expect(parseJsonPath('$.token')).toEqual(['token']);
    expect(readJsonPath(doc, parseJsonPath('$.data.items[0].id')!)).toBe(7);
    expect(readJsonPath(doc, parseJsonPath('$.data.items[-1].id')!)).toBe(8);
    expect(readJsonPath(doc, parseJsonPath("$.data['odd key']")!)).toBe('x');
    expect(readJsonPath(doc, parseJsonPath('$["token"]')!)).toBe('abc');
    expect(readJsonPath(doc, parseJsonPath('$')!)).toBe(doc);
  });

  // Issue 9: `$.name.length` was 5 in a setup capture and null in a flow capture; one module now serves both.
  it('reads .length of a string or array the same way a setup capture does', () => {
    expect(readJsonPath(doc, parseJsonPath('$.token.length')!)).toBe(3);
    expect(readJsonPath(doc, parseJsonPath('$.data.items.length')!)).toBe(2);
    expect(readJsonPath({ length: 9 }, parseJsonPath('$.length')!)).toBe(9);
  });

  it('returns undefined for missing steps and rejects paths outside the subset', () => {
    expect(readJsonPath(doc, parseJsonPath('$.data.items[5].id')!)).toBeUndefined();
    expect(readJsonPath(doc, parseJsonPath('$.constructor')!)).toBeUndefined();
    expect(parseJsonPath('token')).toBeUndefined();
    expect(parseJsonPath('$..id')).toBeUndefined();
    expect(parseJsonPath('$.items[*]')).toBeUndefined();
  });
});

describe('templates', () => {
  const scope: TemplateScope = {
    own: { token: 'mine' },
    globals: { token: 'global', org: 'acme' },
    vuId: 3,
    iteration: 9,
    rows: { users: { email: 'a@b.c' }, colors: 'red' },
    runId: 'r1',
    runStartedAt: '2026-01-02T03:04:05.000Z',
  };

  it('resolves every namespace, own captures before globals, and defaults', () => {
    const t = compileTemplate('${vars.token}/${vars.org}/${vu.id}/${vu.iteration}/${data.users.email}/${data.colors}/${run.id}/${vars.none:-dflt}');
    expect(t.constant).toBeUndefined();
    expect(renderTemplate(t, scope)).toBe('mine/acme/3/9/a@b.c/red/r1/dflt');
    expect(compileTemplate('/static').constant).toBe('/static');
    expect(compileTemplate('cost: $${price}').constant).toBe('cost: ${price}');
  });

  it('rejects unknown namespaces at compile time', () => {
    expect(() => compileTemplate('${env.HOME}')).toThrow(/resolved when the spec is loaded/);
    expect(() => compileTemplate('${vu.name}')).toThrow(/unknown vu field "name".*\$\{vu.id\}, \$\{vu.iteration\}/);
    expect(() => compileTemplate('${params.id}')).toThrow(/cannot be resolved in load flows/);
    expect(() => compileTemplate('${nope.x}')).toThrow(/unknown variable namespace "nope"/);
  });

  // Issue 9: `${run.startedAt}` was documented but rejected inside load flows.
  it('resolves ${run.startedAt} in load flows', () => {
    expect(renderTemplate(compileTemplate('/r?at=${run.startedAt}&id=${run.id}'), scope)).toBe('/r?at=2026-01-02T03:04:05.000Z&id=r1');
    expect(() => compileTemplate('${run.nope}')).toThrow(/unknown run field "nope"/);
  });

  it('serialises constant JSON bodies once and renders dynamic ones', () => {
    expect(compileJson({ a: 1, b: ['x'] }).constant).toBe('{"a":1,"b":["x"]}');
    const dynamic = compileJson({ email: 'u${vu.id}@x', n: 2 });
    expect(dynamic.constant).toBeUndefined();
    expect(dynamic.render(scope)).toBe('{"email":"u3@x","n":2}');
  });
});

describe('data sources', () => {
  it('parses CSV with quotes, doubled quotes and CRLF', () => {
    expect(parseCsv('email,name\r\na@x,"Smith, ""J"""\r\nb@x,Bo\n')).toEqual([
      { email: 'a@x', name: 'Smith, "J"' },
      { email: 'b@x', name: 'Bo' },
    ]);
  });

  it('stripes sequential rows across generators and draws random rows from the list', () => {
    const rows = ['a', 'b', 'c', 'd', 'e'];
    const first = createRowPicker(rows, 'sequential', 0, 2);
    const second = createRowPicker(rows, 'sequential', 1, 2);
    expect([first.next(), first.next(), first.next()]).toEqual(['a', 'c', 'e']);
    expect([second.next(), second.next(), second.next()]).toEqual(['b', 'd', 'a']);
    const random = createRowPicker(rows, 'random', 0, 1, () => 0.99);
    expect(random.next()).toBe('e');
  });
});

describe('compiling flows', () => {
  const base = (config: Partial<LoadScenarioConfig>): LoadScenarioConfig => ({ name: 's', users: 1, duration: '1s', flows: [], ...config });
  const context = { baseUrl: 'http://127.0.0.1:8000/api', vars: { token: 't' }, baseDir: '.', timeoutMs: 5000 };

  it('prebuilds constant requests once and keeps dynamic ones as templates', () => {
    const compiled = compileScenario(
      base({
        headers: { authorization: 'Bearer ${vars.token}' },
        flows: [{ name: 'a', steps: ['GET /health', { request: 'POST /items', json: { n: 1 }, headers: { authorization: 'none' } }, { request: 'GET /me' }] }],
      }),
      context,
    );
    const [health, post, me] = compiled.flows[0].steps as Array<Extract<(typeof compiled.flows)[0]['steps'][0], { kind: 'request' }>>;
    expect(health.targets[0].prebuilt).toBeUndefined();
    expect(post.targets[0].prebuilt!.bytes.toString()).toBe(
      'POST /api/items HTTP/1.1\r\nhost: 127.0.0.1:8000\r\nauthorization: none\r\ntraceparent: 00-00000000000000000000000000000000-0000000000000000-01\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n{"n":1}',
    );
    expect(me.name).toBe('GET /me');
    expect(compiled.entries.map((e) => e.name)).toEqual(['GET /health', 'POST /items', 'GET /me']);
  });

  it('reports every problem at once', () => {
    const attempt = () =>
      compileScenario(
        base({
          flows: [
            { name: 'a', steps: [{ request: 'GET /x', headers: { a: '${vars.unknown}' }, capture: { id: '$..id' } }, { think: 'later' }] },
            { name: 'b', steps: [{ think: '1s' }] },
            { name: 'c', steps: ['GET relative'] },
          ],
        }),
        context,
      );
    expect(attempt).toThrow(/vars\.unknown/);
    try {
      attempt();
    } catch (error) {
      const all = [(error as Error).message, ...((error as { details: string[] }).details ?? [])].join('\n');
      expect(all).toMatch(/\$\.\.id" is outside the supported JSONPath subset/);
      expect(all).toMatch(/steps\[1\]: think "later" is not a duration/);
      expect(all).toMatch(/flows\[1\] \("b"\) has no request step/);
      expect(all).toMatch(/"relative" must start with \//);
    }
  });

  it('loads CSV data relative to the spec and rejects undefined sources', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perfspec-load-'));
    writeFileSync(join(dir, 'users.csv'), 'email\nu1@x\nu2@x\n');
    const compiled = compileScenario(
      base({ data: { users: { csv: 'users.csv' } }, flows: [{ name: 'a', steps: [{ request: 'POST /login', json: { email: '${data.users.email}' } }] }] }),
      { ...context, baseDir: dir },
    );
    expect(compiled.data[0].rows).toEqual([{ email: 'u1@x' }, { email: 'u2@x' }]);
    expect(compiled.flows[0].dataSources).toEqual(['users']);
    expect(() => compileScenario(base({ flows: [{ name: 'a', steps: ['GET /${data.nope.x}'] }] }), context)).toThrow(/reads data\.nope/);
  });

  it('takes pooled test users from a setup variable holding a JSON array', () => {
    const compiled = compileScenario(base({ data: { pool: { var: 'users' } }, flows: [{ name: 'a', steps: ['GET /u/${data.pool.id}'] }] }), {
      ...context,
      vars: { users: '[{"id":1},{"id":2}]' },
    });
    expect(compiled.data[0].rows).toEqual([{ id: 1 }, { id: 2 }]);
  });
});
