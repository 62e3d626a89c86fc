/**
 * Bounded by design, with messages for people (issue #10): durations within what Node's timers hold,
 * timeout 0 and 400-digit numbers rejected, schema maxima for sizes and rates, and range messages
 * that name the field and the allowed form instead of "must be a string" / "must be a list".
 */
import { describe, expect, it } from 'vitest';
import { loadSpecText } from '../../src/spec/load-spec.js';
import { formatProblem } from '../../src/spec/yaml-source.js';
import { MAX_DURATION_MS, parseDuration } from '../../src/units/duration.js';

const base = 'perfspec: 1\nname: x\ntarget:\n  baseUrl: http://127.0.0.1:8000\n';
const problems = (body: string) => loadSpecText('x.yaml', base + body, { env: {} }).problems.map(formatProblem);
const check = (fields: string) => `checks:\n  - name: c\n    request: GET /\n${fields}`;

describe('durations and timeouts', () => {
  it('"1000h" (past 2^31-1 ms) is rejected instead of silently becoming 1 ms', () => {
    expect(problems('  timeout: 1000h\n')).toEqual([
      'x.yaml:5:12 target.timeout: "1000h" is longer than the most perfspec can wait (596h, 2^31-1 ms: the longest timer Node holds); write it like "5s" or "15m"',
    ]);
    expect(problems('  timeout: 596h\n')).toEqual([]);
    expect(parseDuration('596h')! <= MAX_DURATION_MS).toBe(true);
  });

  it('a 400-digit timeout is not a duration (it would be Infinity), and the message stays short', () => {
    const [problem] = problems(`  timeout: ${'9'.repeat(400)}ms\n`);
    expect(problem).toMatch(/target\.timeout: "9{40}"… is not a duration/);
    expect(problem.length).toBeLessThan(200);
    expect(problems(`  timeout: ${'9'.repeat(400)}\n`)[0]).toMatch(/target\.timeout: must be a string or a number \(got a number too large to hold\)/);
    expect(parseDuration(`${'9'.repeat(400)}ms`)).toBeUndefined();
  });

  it('timeout 0 is rejected, as a string and as a number; other durations may be 0', () => {
    expect(problems('  timeout: 0ms\n')).toEqual([
      'x.yaml:5:12 target.timeout: "0ms" must be above zero (a timeout of 0 would fail every request); write it like "5s" or "15m"',
    ]);
    expect(problems('  timeout: 0\n')[0]).toMatch(/^x\.yaml:5:12 target\.timeout: must be above 0 \(got 0\)/);
  });
});

describe('sizes are bounded by the schema', () => {
  it.each([
    ['samples', 50_000_000, 100000],
    ['concurrency', 50_000_000, 1000],
    ['warmup', 1e9, 10000],
  ])('%s: %d is rejected at validate time, naming the limit', (field, value, limit) => {
    expect(problems(check(`    ${field}: ${value}\n`))).toEqual([
      `x.yaml:8:${field.length + 7} checks[0].${field}: must be at most ${limit} (got ${value}); perfspec bounds every size and duration so a typo cannot exhaust the machine (limits: README)`,
    ]);
  });

  it('load users 1e9 and rate 1e9/s are rejected at validate time', () => {
    const load = (profile: string) => problems(`load:\n  scenarios:\n    s:\n      flow: [{ request: GET / }]\n      ${profile}\n`).join('\n');
    expect(load('users: 1000000000')).toMatch(/users: must be at most 10000/);
    expect(load('rate: 1000000000')).toMatch(/rate: must be at most 100000/);
  });
});

describe('range messages name the field and the allowed form', () => {
  it('`max: -3` says "at least 0", not "must be a string"', () => {
    const [problem] = problems(check('    queries: { max: -3 }\n'));
    expect(problem).toContain('checks[0].queries.max: must be at least 0 (got -3)');
    expect(problem).not.toContain('must be a string');
  });

  it('`status: 999` says "at most 599", not "must be a list"', () => {
    const [problem] = problems(check('    expect: { status: 999 }\n'));
    expect(problem).toContain('checks[0].expect.status: must be at most 599 (got 999)');
    expect(problem).not.toContain('must be a list');
  });
});
