import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/result/result.js';
import { combineStatuses, statusOfProbes } from '../../src/result/status.js';
import type { Verdict } from '../../src/verdict/types.js';

const verdict = (passed: boolean, level: 'error' | 'warn' = 'error'): Verdict => ({
  check: 'c',
  probe: 'p',
  metric: 'm',
  target: 't',
  actual: 'a',
  actualValue: 1,
  outcome: passed ? 'pass' : 'fail',
  passed,
  level,
  message: '',
});
const probe = (verdicts: Verdict[], error?: string): ProbeResult => ({ kind: 'k', verdicts, tables: [], notes: [], data: {}, error });

describe('statusOfProbes', () => {
  it.each([
    [[probe([verdict(true)])], 'passed'],
    [[probe([verdict(true), verdict(false, 'warn')])], 'warned'],
    [[probe([verdict(false, 'warn'), verdict(false)])], 'failed'],
    [[probe([verdict(true)]), probe([], 'boom')], 'error'],
    [[], 'passed'],
  ] as const)('%#', (probes, expected) => expect(statusOfProbes([...probes])).toBe(expected));
});

describe('combineStatuses', () => {
  it('takes the worst', () => {
    expect(combineStatuses(['passed', 'warned'])).toBe('warned');
    expect(combineStatuses(['failed', 'error', 'passed'])).toBe('error');
    expect(combineStatuses(['skipped', 'passed'])).toBe('passed');
    expect(combineStatuses(['skipped'])).toBe('skipped');
    expect(combineStatuses([])).toBe('passed');
  });
});
