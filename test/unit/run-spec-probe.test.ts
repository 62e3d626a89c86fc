/**
 * The engine's composition of a spec probe (src/engine/run-spec-probe.ts): measure → judge →
 * present, each fed what the step before returned, judge's lists paired with present's results by
 * position. A fake probe records what it was called with; no I/O.
 */
import { describe, expect, it } from 'vitest';
import { runSpecProbe } from '../../src/engine/run-spec-probe.js';
import type { ProbeContext, SpecProbe, SpecProbeOptions } from '../../src/probes/types.js';
import { judgeCondition } from '../../src/verdict/judge.js';
import type { Verdict } from '../../src/verdict/types.js';

// The fake probes never touch the context: measure's I/O is simulated.
const ctx = {} as ProbeContext;
const options: SpecProbeOptions = { select: { profile: 'a,b' } };

interface Section {
  limit: number;
}
interface Measurement {
  parts: Array<{ name: string; figure: number }>;
}

const section: Section = { limit: 5 };

const verdict = (check: string, passed: boolean, level?: 'warn'): Verdict =>
  judgeCondition({ check, probe: 'fake', metric: 'fake.figure', level }, '< 5', passed ? '1' : '9', passed, check, passed ? 1 : 9);

/** A spec probe whose every part records its call and returns something the next part must receive. */
function recordingProbe(calls: string[], measurement: Measurement, level?: 'warn'): SpecProbe<Section, Measurement> {
  let measured = false;
  let judged: Verdict[][] | undefined;
  return {
    kind: 'fake',
    key: 'load',
    async measure(given, context, opts) {
      calls.push('measure');
      expect(given).toBe(section);
      expect(context).toBe(ctx);
      expect(opts).toBe(options);
      await Promise.resolve();
      measured = true;
      return measurement;
    },
    judge(given, figures) {
      calls.push('judge');
      expect(measured).toBe(true);
      expect(given).toBe(section);
      expect(figures).toBe(measurement);
      judged = figures.parts.map((part) => [verdict(part.name, part.figure < given.limit, level)]);
      return judged;
    },
    present(given, figures, verdicts) {
      calls.push('present');
      expect(given).toBe(section);
      expect(figures).toBe(measurement);
      expect(verdicts).toBe(judged);
      return figures.parts.map((part, i) => ({
        name: part.name,
        request: `fake ${part.name}`,
        durationMs: 10 * (i + 1),
        probe: {
          tables: [{ title: 'Figure', columns: ['value'], rows: [[String(part.figure)]] }],
          notes: [`${verdicts[i].length} verdicts`],
          data: { ...part },
        },
      }));
    },
  };
}

describe('runSpecProbe', () => {
  it('measures, judges and presents, in that order, each fed what the one before returned', async () => {
    const calls: string[] = [];
    const measurement: Measurement = {
      parts: [
        { name: 'A', figure: 1 },
        { name: 'B', figure: 9 },
      ],
    };
    const results = await runSpecProbe(recordingProbe(calls, measurement), section, ctx, options);
    expect(calls).toEqual(['measure', 'judge', 'present']);
    expect(results.map((r) => r.name)).toEqual(['A', 'B']);
    expect(results.map((r) => r.status)).toEqual(['passed', 'failed']);
  });

  it("builds each result from present's entry and judge's list at the same position, in the reports' key order", async () => {
    const measurement: Measurement = {
      parts: [
        { name: 'A', figure: 1 },
        { name: 'B', figure: 9 },
      ],
    };
    const probe = recordingProbe([], measurement);
    const results = await runSpecProbe(probe, section, ctx, options);
    const judged = probe.judge(section, measurement);
    expect(results).toEqual([
      {
        name: 'A',
        section: 'load',
        request: 'fake A',
        status: 'passed',
        durationMs: 10,
        probes: [
          {
            kind: 'fake',
            verdicts: judged[0],
            tables: [{ title: 'Figure', columns: ['value'], rows: [['1']] }],
            notes: ['1 verdicts'],
            data: measurement.parts[0],
          },
        ],
      },
      {
        name: 'B',
        section: 'load',
        request: 'fake B',
        status: 'failed',
        durationMs: 20,
        probes: [
          {
            kind: 'fake',
            verdicts: judged[1],
            tables: [{ title: 'Figure', columns: ['value'], rows: [['9']] }],
            notes: ['1 verdicts'],
            data: measurement.parts[1],
          },
        ],
      },
    ]);
    // The JSON report shows keys in this order.
    expect(Object.keys(results[1])).toEqual(['name', 'section', 'request', 'status', 'durationMs', 'probes']);
    expect(Object.keys(results[1].probes[0])).toEqual(['kind', 'verdicts', 'tables', 'notes', 'data']);
  });

  it("takes the status from judge's verdicts (a failed warning warns) and a presented error", async () => {
    const warned = await runSpecProbe(recordingProbe([], { parts: [{ name: 'W', figure: 9 }] }, 'warn'), section, ctx, options);
    expect(warned[0].status).toBe('warned');
    const probe = recordingProbe([], { parts: [{ name: 'E', figure: 1 }] });
    const broken: SpecProbe<Section, Measurement> = {
      ...probe,
      present: (given, figures, verdicts) =>
        probe.present(given, figures, verdicts).map((r) => ({ ...r, probe: { ...r.probe, error: 'generator out of sockets' } })),
    };
    const [result] = await runSpecProbe(broken, section, ctx, options);
    expect(result.status).toBe('error');
    expect(Object.keys(result.probes[0]).at(-1)).toBe('error');
  });

  it("keeps judge's verdicts when a presentation carries a kind or verdicts of its own", async () => {
    const probe = recordingProbe([], { parts: [{ name: 'A', figure: 9 }] });
    const sneaky: SpecProbe<Section, Measurement> = {
      ...probe,
      present: (given, figures, verdicts) =>
        probe.present(given, figures, verdicts).map((r) => ({ ...r, probe: { ...r.probe, kind: 'other', verdicts: [verdict('A', true)] } })),
    };
    const [result] = await runSpecProbe(sneaky, section, ctx, options);
    expect(result.probes[0].kind).toBe('fake');
    expect(result.probes[0].verdicts.map((v) => v.outcome)).toEqual(['fail']);
    expect(result.status).toBe('failed');
  });

  it('refuses a present that returns another number of results than judge gave lists of verdicts', async () => {
    const probe = recordingProbe([], {
      parts: [
        { name: 'A', figure: 1 },
        { name: 'B', figure: 9 },
      ],
    });
    const short: SpecProbe<Section, Measurement> = { ...probe, present: (given, figures, verdicts) => probe.present(given, figures, verdicts).slice(1) };
    await expect(runSpecProbe(short, section, ctx, options)).rejects.toThrow('fake probe: judge gave 2 lists of verdicts but present 1 results');
  });

  it('returns no result when nothing ran', async () => {
    const calls: string[] = [];
    expect(await runSpecProbe(recordingProbe(calls, { parts: [] }), section, ctx, options)).toEqual([]);
    expect(calls).toEqual(['measure', 'judge', 'present']);
  });
});
