import { describe, expect, it } from 'vitest';
import { pointAt } from '../../src/probes/validate-sections.js';
import { runCli } from '../helpers/run-cli.js';

describe('pointAt', () => {
  it('points at the deeper path a probe message starts with', () => {
    expect(pointAt(['checks', 0, 'queries'], 'checks[0].queries.threshold: 1 must be a whole number of at least 2')).toEqual({
      path: ['checks', 0, 'queries', 'threshold'],
      message: '1 must be a whole number of at least 2',
    });
    expect(pointAt(['checks', 0, 'queries'], 'checks[0].queries.scaling needs two sizes')).toEqual({
      path: ['checks', 0, 'queries', 'scaling'],
      message: 'needs two sizes',
    });
  });
  it('keeps the section path for other messages', () => {
    expect(pointAt(['load'], 'load scenario "quick": no flows')).toEqual({ path: ['load'], message: 'load scenario "quick": no flows' });
    expect(pointAt(['checks', 1, 'cache'], 'checks[10].cache.keys: x')).toEqual({ path: ['checks', 1, 'cache'], message: 'checks[10].cache.keys: x' });
  });
});

describe('perfspec validate asks the probes about their sections', () => {
  it('reports a scaling test without two sizes and a threshold on a request no flow sends, before anything runs', async () => {
    const outcome = await runCli(['validate', 'test/fixtures/specs/invalid-probes']);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).toBe(
      [
        'test/fixtures/specs/invalid-probes/probe-sections.yaml:10:16 checks[0].queries.scaling: needs a query parameter and two different sizes',
        'test/fixtures/specs/invalid-probes/probe-sections.yaml:12:3 load: load scenario "load": thresholds.requests.GET /nope.p95: no request is named "GET /nope". Known: GET /health',
        '',
        '2 problems in 1 spec',
        '',
      ].join('\n'),
    );
  });
});

describe('perfspec validate warns about percentiles the samples cannot bound', () => {
  it('names the number needed, points at the budget, and still exits 0', async () => {
    const outcome = await runCli(['validate', 'test/fixtures/specs/sample-warnings']);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stdout).toContain('valid (2 checks, 1 warning)');
    expect(outcome.stderr).toBe(
      'test/fixtures/specs/sample-warnings/p99-from-20.yaml:8:35 checks[0].latency.p99: warning: 20 samples (at most 160 with adaptive sampling) cannot bound p99 at 95 % confidence: it needs at least 368, so this budget can fail but never pass — set maxSamples (or samples) to at least 368\n',
    );
  });
});
