/**
 * The engine's composition of a check probe (src/engine/run-check-probe.ts): parse once, then
 * measure → judge → present, each fed what the step before returned. A fake probe records what it
 * was called with; no I/O.
 */
import { describe, expect, it } from 'vitest';
import { planChecks } from '../../src/engine/plan.js';
import { runCheckProbe } from '../../src/engine/run-check-probe.js';
import type { PerfspecSpec } from '../../src/generated/spec-types.js';
import { sizeProbe } from '../../src/probes/size/index.js';
import type { CheckProbe, PlannedCheck, ProbeContext } from '../../src/probes/types.js';
import { judgeCondition } from '../../src/verdict/judge.js';
import type { Verdict } from '../../src/verdict/types.js';

const check: PlannedCheck = planChecks({
  perfspec: 1,
  name: 'fake',
  target: { baseUrl: 'http://127.0.0.1:1' },
  checks: [{ name: 'Item', request: 'GET /items/1', size: { body: '< 1KB' } }],
} as PerfspecSpec)[0];

// The fake probes never touch the context: measure's I/O is simulated.
const ctx = {} as ProbeContext;

const verdict = (metric: string, passed: boolean): Verdict =>
  judgeCondition({ check: 'Item', probe: 'fake', metric }, '< 1', passed ? '0' : '2', passed, metric, passed ? 0 : 2);

interface Config {
  limit: number;
}
interface Measurement {
  figures: number[];
}

/** A probe whose every part records its call and returns something the next part must receive. */
function recordingProbe(calls: string[]): CheckProbe<Config, Measurement> {
  const config: Config = { limit: 1 };
  const measurement: Measurement = { figures: [0, 2] };
  let measured = false;
  let judged: Verdict[] | undefined;
  return {
    kind: 'fake',
    key: 'size',
    parse(planned) {
      calls.push(`parse ${planned.name}`);
      return config;
    },
    async measure(planned, given, context) {
      calls.push('measure');
      expect([planned, given, context]).toEqual([check, config, ctx]);
      expect(given).toBe(config);
      await Promise.resolve();
      measured = true;
      return measurement;
    },
    judge(planned, given, figures) {
      calls.push('judge');
      expect(measured).toBe(true);
      expect(given).toBe(config);
      expect(figures).toBe(measurement);
      judged = figures.figures.map((value, index) => verdict(`figure.${index}`, value < given.limit));
      return judged;
    },
    present(planned, given, figures, verdicts) {
      calls.push('present');
      expect(given).toBe(config);
      expect(figures).toBe(measurement);
      expect(verdicts).toBe(judged);
      return {
        tables: [{ title: 'Figures', columns: ['value'], rows: figures.figures.map((value) => [String(value)]) }],
        notes: [`${verdicts.length} verdicts`],
        data: { figures: figures.figures },
      };
    },
  };
}

describe('runCheckProbe', () => {
  it('parses once, then measures, judges and presents, in that order, each fed what the one before returned', async () => {
    const calls: string[] = [];
    const result = await runCheckProbe(recordingProbe(calls), check, ctx);
    expect(calls).toEqual(['parse Item', 'measure', 'judge', 'present']);
    expect(result).toEqual({
      kind: 'fake',
      verdicts: [verdict('figure.0', true), verdict('figure.1', false)],
      tables: [{ title: 'Figures', columns: ['value'], rows: [['0'], ['2']] }],
      notes: ['2 verdicts'],
      data: { figures: [0, 2] },
    });
    // The report's field order (kind, verdicts, then what present returned) is the JSON report's.
    expect(Object.keys(result)).toEqual(['kind', 'verdicts', 'tables', 'notes', 'data']);
  });

  it("reports exactly judge's verdicts, whatever present returns", async () => {
    const probe = recordingProbe([]);
    const sneaky: CheckProbe<Config, Measurement> = {
      ...probe,
      present: (planned, config, measurement, verdicts) => ({ ...probe.present(planned, config, measurement, verdicts), verdicts: [] }) as never,
    };
    const result = await runCheckProbe(sneaky, check, ctx);
    expect(result.verdicts.map((v) => v.metric)).toEqual(['figure.0', 'figure.1']);
  });

  it('gives a probe without parse an undefined config', async () => {
    const seen: unknown[] = [];
    const probe: CheckProbe<undefined, number> = {
      kind: 'bare',
      measure: async (_check, config) => (seen.push(config), 3),
      judge: (_check, config, value) => (seen.push(config), [verdict('bare', value < 5)]),
      present: (_check, config, value) => (seen.push(config), { tables: [], notes: [], data: { value } }),
    };
    const result = await runCheckProbe(probe, check, ctx);
    expect(seen).toEqual([undefined, undefined, undefined]);
    expect(result).toMatchObject({ kind: 'bare', verdicts: [{ metric: 'bare', passed: true }], data: { value: 3 } });
  });

  it('neither judges nor presents when measuring throws (the engine turns the error into the probe error)', async () => {
    const calls: string[] = [];
    const probe = recordingProbe(calls);
    const broken: CheckProbe<Config, Measurement> = {
      ...probe,
      measure: async () => {
        calls.push('measure');
        throw new Error('connection refused');
      },
    };
    await expect(runCheckProbe(broken, check, ctx)).rejects.toThrow('connection refused');
    expect(calls).toEqual(['parse Item', 'measure']);
  });
});

describe('a real probe judged and presented from a hand-written measurement (no server)', () => {
  it('the size probe judges the largest body and notes that sizes differed', () => {
    const config = sizeProbe.parse!(check);
    const measurement = { sizes: [600, 1500, 700] };
    const verdicts = sizeProbe.judge(check, config, measurement);
    expect(verdicts).toMatchObject([{ metric: 'size.body', passed: false, actualValue: 1500 }]);
    expect(sizeProbe.present(check, config, measurement, verdicts)).toEqual({
      tables: [],
      notes: ['Body sizes differed between requests: 600 B, 1.5 KiB, 700 B; the largest is judged.'],
      data: { bodyBytes: [600, 1500, 700] },
    });
  });
});
