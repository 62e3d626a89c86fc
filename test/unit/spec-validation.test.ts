/**
 * Every broken spec under test/fixtures/specs/invalid gives exactly the expected problems, with
 * positions, as the person running `perfspec validate` reads them.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpecFile, loadSpecText } from '../../src/spec/load-spec.js';
import { formatProblem } from '../../src/spec/yaml-source.js';
import { resolveString } from '../../src/spec/interpolate.js';

const dir = 'test/fixtures/specs/invalid';

const EXPECTED: Record<string, string[]> = {
  'malformed-yaml.yaml': [
    `${dir}/malformed-yaml.yaml:7:14 YAML: Nested mappings are not allowed in compact mappings`,
    `${dir}/malformed-yaml.yaml:7:14 YAML: Implicit keys need to be on a single line`,
  ],
  'unknown-key.yaml': [
    `${dir}/unknown-key.yaml:10:7 checks[0].latency.p59: unknown property "p59". Did you mean "p50"? Allowed: p50, p90, p95, p99, max, mean, cold`,
  ],
  'wrong-type.yaml': [
    `${dir}/wrong-type.yaml:8:14 checks[0].samples: must be an integer, got string "lots"`,
    `${dir}/wrong-type.yaml:9:23 checks[0].expect.status: must be an integer or a list (got string "200"): Expected HTTP status, or a list of them.`,
  ],
  'bad-budget.yaml': [`${dir}/bad-budget.yaml:8:21 checks[0].latency.p95: "< fast" is not a latency budget; write it like "< 50ms" or "<= 1.5s"`],
  'bad-duration.yaml': [`${dir}/bad-duration.yaml:5:12 target.timeout: "5 seconds" is not a duration; write it like "250ms", "1.5s" or "15m"`],
  'undefined-variable.yaml': [
    `${dir}/undefined-variable.yaml:10:14 checks[0].request: \${vars.user_id} is not defined; define it under vars, pass --set NAME=VALUE, or capture it in setup (defined: token)`,
  ],
  'missing-required.yaml': [`${dir}/missing-required.yaml:6:5 checks[0]: missing required property "name"`],
  'many-problems.yaml': [
    `${dir}/many-problems.yaml:4:12 target.baseUrl: "not-a-url" is not an http(s) URL; write it like "http://127.0.0.1:8000"`,
    `${dir}/many-problems.yaml:5:3 target.timout: unknown property "timout". Did you mean "timeout"? Allowed: baseUrl, headers, timeout, maxBodySize, start, trace, replicas`,
    `${dir}/many-problems.yaml:7:12 defaults.samples: must be at least 1 (got 0)`,
    `${dir}/many-problems.yaml:10:14 checks[0].request: "FETCH /a" is not a request: unknown method "FETCH"; use one of: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS (column 1)`,
    `${dir}/many-problems.yaml:11:12 checks[0].level: must be one of: "error", "warn" (got "fatal")`,
    `${dir}/many-problems.yaml:12:36 checks[0].latency.p99: must be a string, got number 100`,
    `${dir}/many-problems.yaml:15:23 checks[1].headers.X-Key: environment variable PERFSPEC_TEST_UNSET_KEY is not set and \${env.PERFSPEC_TEST_UNSET_KEY} has no default; set it or write \${env.PERFSPEC_TEST_UNSET_KEY:-default}`,
  ],
};

describe('invalid specs', () => {
  it('has an expectation for every fixture', () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(file, async () => {
      const outcome = await loadSpecFile(path.join(dir, file), { env: {} });
      expect(outcome.loaded).toBeUndefined();
      expect(outcome.problems.map(formatProblem)).toEqual(expected);
    });
  }
});

describe('valid specs', () => {
  for (const file of readdirSync('test/fixtures/specs/valid')) {
    it(file, async () => {
      const outcome = await loadSpecFile(path.join('test/fixtures/specs/valid', file), { env: {} });
      expect(outcome.problems.map(formatProblem)).toEqual([]);
      expect(outcome.loaded?.spec.perfspec).toBe(1);
    });
  }

  it('specs/phase3.yaml is valid', async () => {
    const outcome = await loadSpecFile('specs/phase3.yaml', { env: {} });
    expect(outcome.problems.map(formatProblem)).toEqual([]);
  });
});

describe('environment and variables', () => {
  const base = 'perfspec: 1\nname: x\ntarget:\n  baseUrl: ${env.BASE:-http://127.0.0.1:1}\n';

  it('resolves ${env.*} before validation, so environment values are validated too', () => {
    const good = loadSpecText('x.yaml', `${base}  timeout: \${env.T}\n`, { env: { T: '2s' } });
    expect(good.loaded?.spec.target.timeout).toBe('2s');
    const bad = loadSpecText('x.yaml', `${base}  timeout: \${env.T}\n`, { env: { T: 'never' } });
    expect(bad.problems.map(formatProblem)).toEqual(['x.yaml:5:12 target.timeout: "never" is not a duration; write it like "250ms", "1.5s" or "15m"']);
  });

  it('accepts variables from vars, --set and earlier setup captures; not from later ones', () => {
    const text = `${base}vars: { tenant: acme }
setup:
  - request: GET /a/\${vars.tenant}/\${vars.fromCli}
    capture: { first: $.id }
  - request: GET /b/\${vars.first}/\${vars.second}
    capture: { second: $.id }
checks:
  - name: c
    request: GET /c/\${vars.second}
`;
    const outcome = loadSpecText('x.yaml', text, { env: {}, setVars: { fromCli: '1' } });
    expect(outcome.problems.map(formatProblem)).toEqual([
      'x.yaml:9:14 setup[1].request: ${vars.second} is not defined; define it under vars, pass --set NAME=VALUE, or capture it in setup (defined: tenant, fromCli, first)',
    ]);
  });

  it('lets default headers refer to a capture made later in setup', () => {
    const text = `${base}defaults: { headers: { Authorization: "Bearer \${vars.token}" } }
setup:
  - request: POST /login
    capture: { token: $.t }
`;
    expect(loadSpecText('x.yaml', text, { env: {} }).problems).toEqual([]);
  });

  it('rejects unknown namespaces and run fields', () => {
    const text = `${base}checks:\n  - name: c\n    request: GET /\${secret.x}/\${run.nope}\n`;
    expect(loadSpecText('x.yaml', text, { env: {} }).problems.map((problem) => problem.message)).toEqual([
      'unknown variable namespace "secret" in ${secret.x}; use one of: env, vars, run',
      'unknown run field "nope" in ${run.nope}; use one of: ${run.id}, ${run.startedAt}',
    ]);
  });

  // Issue 9: a check using ${params.id}, ${vu.id} or ${data.…} validated and was sent with the literal text.
  it('reports a reference that cannot resolve where it stands, with its position', () => {
    const text = `${base}checks:
  - name: c
    request: GET /products/\${params.id}?u=\${vu.id}&e=\${data.users.email}
setup:
  - request: GET /s/\${params.id}
`;
    expect(loadSpecText('x.yaml', text, { env: {} }).problems.map(formatProblem)).toEqual([
      'x.yaml:7:14 checks[0].request: ${params.id} cannot be resolved in a check (${params.*} exists only in a check whose cache section cycles params); use one of: ${env.…}, ${vars.…}, ${run.…}',
      'x.yaml:7:14 checks[0].request: ${vu.id} cannot be resolved in a check (${data.*} and ${vu.*} exist only in load flows); use one of: ${env.…}, ${vars.…}, ${run.…}',
      'x.yaml:7:14 checks[0].request: ${data.users.email} cannot be resolved in a check (${data.*} and ${vu.*} exist only in load flows); use one of: ${env.…}, ${vars.…}, ${run.…}',
      'x.yaml:9:14 setup[0].request: ${params.id} cannot be resolved in setup, teardown, target and defaults (${params.*} exists only in checks with cache params); use one of: ${env.…}, ${vars.…}, ${run.…}',
    ]);
  });

  it('accepts ${params.NAME} in a check whose cache section cycles params that all name it', () => {
    const check = (params: string) => `${base}services: { redis: { url: "redis://127.0.0.1:6379" } }
checks:
  - name: c
    request: GET /products/\${params.id}
    cache: { keys: "p:*", hitRate: ">= 50%", params: ${params} }
`;
    expect(loadSpecText('x.yaml', check('[{ id: 1 }, { id: 2 }]'), { env: {} }).problems).toEqual([]);
    expect(loadSpecText('x.yaml', check('[{ id: 1 }, { other: 2 }]'), { env: {} }).problems.map(formatProblem)).toEqual([
      'x.yaml:8:14 checks[0].request: ${params.id}: params entry 1 has no "id"; add it to every entry or write ${params.id:-default}',
    ]);
  });

  // Issue 9: `users: ${env.USERS:-10}` was rejected ("must be an integer, got string"): no number could come from the environment.
  it('coerces numbers from ${env.*} wherever the schema wants one, and range-checks them with position', () => {
    const text = `${base}checks:
  - name: c
    request: GET /
    samples: \${env.SAMPLES:-20}
    warmup: "3"
load:
  users: \${env.USERS:-10}
  duration: 1s
  flows:
    - name: f
      steps: [GET /]
`;
    const defaults = loadSpecText('x.yaml', text.replace('warmup: "3"', 'warmup: 3'), { env: {} });
    expect(defaults.problems).toEqual([]);
    expect(defaults.loaded?.spec.checks?.[0].samples).toBe(20);
    expect((defaults.loaded?.spec.load as { users?: unknown }).users).toBe(10);
    expect(loadSpecText('x.yaml', text.replace('warmup: "3"', 'warmup: 3'), { env: { USERS: '25', SAMPLES: '7' } }).loaded?.spec.checks?.[0].samples).toBe(7);

    const bad = loadSpecText('x.yaml', text, { env: { USERS: '0', SAMPLES: 'lots' } });
    expect(bad.problems.map(formatProblem)).toEqual([
      'x.yaml:8:14 checks[0].samples: must be an integer, got string "lots"',
      'x.yaml:9:13 checks[0].warmup: must be an integer, got string "3"',
      'x.yaml:11:10 load.users: must be at least 1 (got 0)',
    ]);
  });

  // The scenario keys are listed once (loadScenarioKeys) and taken by both forms of a scenario through allOf:
  // unknown keys are still refused in each, with the keys of the shared list offered.
  it('refuses an unknown key in the load section and in a scenario, suggesting the key meant', () => {
    const text = `${base}load:
  usrs: 5
  duration: 1s
  flows:
    - name: f
      steps: [GET /]
  scenarios:
    quick:
      users: 0
      duratoin: 2s
      iterations: 3
`;
    const scenarioKeys =
      'description, profile, executor, users, rate, duration, stages, maxUsers, gracefulStop, startSpread, randomFirstThink, stepDuration, replicaCounts, minEfficiency, workers, connections, timeout, maxBodySize, headers, flows, thresholds, trace, regions, data, iterations, maxDuration';
    expect(loadSpecText('x.yaml', text, { env: {} }).problems.map(formatProblem)).toEqual([
      `x.yaml:6:3 load.usrs: unknown property "usrs". Did you mean "users"? Allowed: ${scenarioKeys}, default, shards, scenarios`,
      'x.yaml:13:14 load.scenarios.quick.users: must be at least 1 (got 0)',
      `x.yaml:14:7 load.scenarios.quick.duratoin: unknown property "duratoin". Did you mean "duration"? Allowed: ${scenarioKeys}`,
    ]);
    // Keys of the section only (default, shards, scenarios) are not scenario keys.
    const nested = text.replace('iterations: 3', 'shards: 2').replace('duratoin', 'duration');
    expect(loadSpecText('x.yaml', nested, { env: {} }).problems.map(formatProblem)).toContain(
      `x.yaml:15:7 load.scenarios.quick.shards: unknown property "shards". Allowed: ${scenarioKeys}`,
    );
  });

  it('resolves only env when loading: a $${ escape and the defaults of later namespaces stay as written', () => {
    const text = `${base}vars: { x: "1" }
checks:
  - name: c
    request: GET /a?lit=$\${vars.x}&d=\${vars.y:-dflt}&e=\${env.E:-env}
`;
    const outcome = loadSpecText('x.yaml', text, { env: {} });
    expect(outcome.problems).toEqual([]);
    expect(outcome.loaded?.spec.checks?.[0].request).toBe('GET /a?lit=$${vars.x}&d=${vars.y:-dflt}&e=env');
    expect(resolveString(outcome.loaded!.spec.checks![0].request, { vars: { x: '1', y: 'set' } })).toBe('GET /a?lit=${vars.x}&d=set&e=env');
  });

  it('says so when the document is not a mapping', () => {
    expect(loadSpecText('x.yaml', '- a\n- b\n', { env: {} }).problems.map(formatProblem)).toEqual([
      'x.yaml:1:1 a spec must be a YAML mapping (perfspec: 1, name: ..., target: ...)',
    ]);
  });
});
