/**
 * The spec loader under fuzzing (issue #10): mutants of specs/phase3.yaml and the fixture specs
 * (lines deleted, duplicated, swapped, re-indented, truncated; scalars replaced by hostile values;
 * anchors, aliases, merge keys and control characters inserted) go through exactly what
 * `perfspec validate` runs, in-process for speed. Properties: nothing throws (an "internal error",
 * exit 3), no mutant takes over 5 s, and the outcome is a valid spec (exit 0) or problems (exit 2)
 * each with a file and a message. Fixed seed, bounded count: the same mutants in every CI run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliSemanticChecks } from '../../src/cli/commands/load-all.js';
import { CHECK_PROBES, SPEC_PROBES } from '../../src/probes/registry.js';
import { loadSpecText } from '../../src/spec/load-spec.js';
import { formatProblem } from '../../src/spec/yaml-source.js';
import { seededRandom as random } from '../helpers/seeded-random.js';

const SEED = 0x5eed10;
const MUTANTS = Number(process.env.PERFSPEC_FUZZ_MUTANTS ?? 3000);
const SOURCES = [
  'specs/phase3.yaml',
  'test/fixtures/specs/valid/minimal.yaml',
  'test/fixtures/specs/valid/starter.yaml',
  'test/fixtures/redis/cache-checks.yaml',
  'test/fixtures/specs/invalid-probes/probe-sections.yaml',
];

const HOSTILE = [
  '',
  '-1',
  '0',
  '-0',
  '1e9',
  '5e7',
  '1e400',
  '9'.repeat(400),
  'NaN',
  '.inf',
  '~',
  'null',
  'true',
  '[]',
  '{}',
  '[[[[[]]]]]',
  '"\\r\\nX-Injected: 1"',
  '"a\\u0000b"',
  "'",
  '"',
  '`',
  '%',
  '@',
  '!!binary AAAA',
  '!!js/function x',
  '!custom x',
  '*nope',
  '&a [*a]',
  '${env.NOPE}',
  '${env.HOME}',
  '${vars.nope}',
  '${run.nope}',
  '${',
  '${env.}',
  '$${vars.x}',
  '"< -5ms"',
  '"<= 1e999s"',
  '">= 200%"',
  '1000h',
  '0ms',
  '"1.5.5s"',
  'GET',
  'FETCH /x',
  'GET /a b',
  'mysql://x@h/db',
  'http://user:pw@h',
  'ftp://h',
  '"\\t"',
  'x'.repeat(10_000),
  '"😀 ünïcödé"',
  '{ <<: *nope }',
  '- a',
  ': b',
  '? x',
];

type Mutation = (lines: string[], rnd: () => number) => string[];
const pick = <T>(items: readonly T[], rnd: () => number): T => items[Math.floor(rnd() * items.length)];
const at = (lines: string[], rnd: () => number) => Math.floor(rnd() * lines.length);

const MUTATIONS: Mutation[] = [
  (lines, rnd) => lines.filter((_, i) => i !== at(lines, rnd)),
  (lines, rnd) => {
    const i = at(lines, rnd);
    return [...lines.slice(0, i + 1), lines[i], ...lines.slice(i + 1)];
  },
  (lines, rnd) => {
    const copy = [...lines];
    const [i, j] = [at(lines, rnd), at(lines, rnd)];
    [copy[i], copy[j]] = [copy[j], copy[i]];
    return copy;
  },
  (lines, rnd) => {
    // Replace the value of a `key: value` line with a hostile one.
    const copy = [...lines];
    const i = at(lines, rnd);
    const match = /^(\s*(?:- )?[\w.$"-]+:)\s*(.*)$/.exec(copy[i]);
    copy[i] = match ? `${match[1]} ${pick(HOSTILE, rnd)}` : `${copy[i]} ${pick(HOSTILE, rnd)}`;
    return copy;
  },
  (lines, rnd) => {
    const copy = [...lines];
    const i = at(lines, rnd);
    copy[i] = rnd() < 0.5 ? `  ${copy[i]}` : copy[i].replace(/^ {1,2}/, '');
    return copy;
  },
  (lines, rnd) => lines.slice(0, at(lines, rnd)),
  (lines, rnd) => {
    const i = at(lines, rnd);
    const indent = /^\s*/.exec(lines[i])![0];
    const inserted = pick(['x: &a { b: *a }', 'y: &r [1, *r]', '<<: *missing', 'z: !!merge x', 'k: { <<: [*a, *a] }', 'samples: 50000000', 'timeout: 0'], rnd);
    return [...lines.slice(0, i), `${indent}${inserted}`, ...lines.slice(i)];
  },
  (lines, rnd) => {
    // Flip one character to a control or structural character.
    const copy = [...lines];
    const i = at(lines, rnd);
    if (copy[i].length === 0) return copy;
    const j = Math.floor(rnd() * copy[i].length);
    copy[i] =
      copy[i].slice(0, j) + pick(['\t', '\r', '\u0000', ':', '-', '{', '[', '"', "'", '&', '*', '!', '|', '>', '#', '\u2028'], rnd) + copy[i].slice(j + 1);
    return copy;
  },
];

describe('spec loader fuzzing', () => {
  it(`${MUTANTS} mutants: 0 internal errors, 0 over 5 s, exit 0 or 2 only, every problem with a file and a message`, async () => {
    // Every probe's section checks, as `perfspec validate` runs them for the probes a spec uses.
    const tables = {
      checkProbes: await Promise.all(CHECK_PROBES.map((entry) => entry.load())),
      specProbes: await Promise.all(SPEC_PROBES.map((entry) => entry.load())),
    };
    const rnd = random(SEED);
    const sources = SOURCES.map((file) => ({ file, lines: readFileSync(file, 'utf8').split('\n') }));
    const internal: string[] = [];
    const slow: string[] = [];
    const malformed: string[] = [];
    const outcomes = { valid: 0, invalid: 0 };
    const env = { HOME: '/home/x', PERFSPEC_BASE_URL: 'http://127.0.0.1:8000' };
    const started = performance.now();
    for (let n = 0; n < MUTANTS; n += 1) {
      const source = sources[n % sources.length];
      let lines = source.lines;
      const rounds = 1 + Math.floor(rnd() * 3);
      for (let r = 0; r < rounds; r += 1) lines = pick(MUTATIONS, rnd)(lines.length ? lines : [''], rnd);
      const text = lines.join('\n');
      const t0 = performance.now();
      try {
        const outcome = loadSpecText(source.file, text, { env, semanticChecks: cliSemanticChecks(tables) });
        for (const problem of outcome.problems) {
          const line = formatProblem(problem);
          if (!problem.file || !problem.message || /undefined|\[object Object\]|PS_[A-Z]/.test(line)) malformed.push(`#${n} ${line.slice(0, 200)}`);
        }
        if (outcome.loaded && outcome.problems.length === 0) outcomes.valid += 1;
        else if (!outcome.loaded && outcome.problems.length > 0) outcomes.invalid += 1;
        else malformed.push(`#${n}: loaded=${Boolean(outcome.loaded)} with ${outcome.problems.length} problems`);
      } catch (error) {
        internal.push(`#${n} ${source.file}: ${error instanceof Error ? error.message : String(error)}\n${text.slice(0, 300)}`);
      }
      const took = performance.now() - t0;
      if (took > 5000) slow.push(`#${n} ${source.file}: ${Math.round(took)} ms`);
    }
    const seconds = (performance.now() - started) / 1000;
    expect(internal.slice(0, 3)).toEqual([]);
    expect(slow).toEqual([]);
    expect(malformed.slice(0, 5)).toEqual([]);
    // The fuzzer reaches both outcomes (a fuzzer that only ever breaks the YAML would prove little).
    expect(outcomes.valid).toBeGreaterThan(MUTANTS / 50);
    expect(outcomes.invalid).toBeGreaterThan(MUTANTS / 2);
    expect(outcomes.valid + outcomes.invalid).toBe(MUTANTS);
    console.info(`spec fuzz: ${MUTANTS} mutants in ${seconds.toFixed(1)} s: ${outcomes.valid} valid, ${outcomes.invalid} with problems`);
  }, 240_000);
});
