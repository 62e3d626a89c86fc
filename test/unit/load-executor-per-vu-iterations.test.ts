/** per-vu-iterations: its plan, its checks, and its split across generator threads and shards. */
import { describe, expect, it } from 'vitest';
import { perVuIterations, usersOfSegment } from '../../src/load/executors/per-vu-iterations.js';
import { planScenario } from '../../src/load/plan/plan-scenario.js';
import { generatorSegment } from '../../src/load/shard/segments.js';
import type { LoadScenarioConfig } from '../../src/load/types.js';

const plan = (extra: Record<string, unknown>) =>
  planScenario({ name: 'q', executor: 'per-vu-iterations', flows: [{ name: 'f', steps: ['GET /'] }], ...extra } as LoadScenarioConfig);

describe('per-vu-iterations: plan', () => {
  it('plans users × iterations, at most maxDuration (default 10m as k6), all users at once', () => {
    const p = plan({ users: 10, iterations: 20 });
    expect(p).toMatchObject({ executor: 'per-vu-iterations', model: 'closed', peak: 10, maxUsers: 10, iterations: 200, durationMs: 600_000, startSpreadMs: 0 });
    expect(plan({ users: 3, iterations: 2, maxDuration: '30s' }).durationMs).toBe(30_000);
    expect(plan({ iterations: 4 })).toMatchObject({ peak: 1, iterations: 4 });
    expect(perVuIterations.describe(plan({ users: 10, iterations: 20, maxDuration: '1m' }))).toBe('10 users × 20 iterations each, at most 1m');
  });

  it('refuses a scenario without iterations, a maxDuration under 1s, and the keys of shape-driven executors, all at once', () => {
    expect(() => plan({ users: 2 })).toThrow('load scenario "q": executor per-vu-iterations needs iterations (how many iterations each user runs)');
    expect(() => plan({ users: 2, iterations: 3, maxDuration: '500ms' })).toThrow('load scenario "q": maxDuration must be at least 1s, got 500ms');
    expect(() => plan({ rate: 5, iterations: 3 })).toThrow(
      'load scenario "q": rate: executor per-vu-iterations does not use it (it runs users (closed model); rate is for the arrival-rate executors)',
    );
    let details: string[] = [];
    try {
      plan({ duration: '30s', stages: [{ duration: '1s', target: 2 }] });
    } catch (error) {
      expect((error as { code: string }).code).toBe('PS_SPEC_INVALID');
      expect((error as Error).message).toBe(
        'load scenario "q": duration: executor per-vu-iterations does not use it (it ends when its iterations are done; give maxDuration to bound it)',
      );
      details = (error as { details: string[] }).details;
    }
    expect(details).toEqual([
      'load scenario "q": stages: executor per-vu-iterations does not use it (it holds its users until their iterations are done; stages are for the ramping executors)',
      'load scenario "q": executor per-vu-iterations needs iterations (how many iterations each user runs)',
    ]);
  });

  it('its keys are refused under another executor, and without one', () => {
    const config = (extra: Record<string, unknown>) => ({ name: 'q', users: 2, duration: '5s', flows: [], ...extra }) as LoadScenarioConfig;
    expect(() => planScenario(config({ executor: 'constant-users', iterations: 5 }))).toThrow(
      /^load scenario "q": iterations is a setting of executor per-vu-iterations.*, not of constant-users$/,
    );
    expect(() => planScenario(config({ maxDuration: '1m' }))).toThrow(
      /^load scenario "q": maxDuration is a setting of executor per-vu-iterations.*, and this scenario names no executor$/,
    );
  });
});

describe('per-vu-iterations: split across generators and shards (k6 splits the users)', () => {
  it('every user runs on exactly one generator with its whole quota: the union of the shards is the unsharded plan', () => {
    for (const users of [1, 2, 3, 7, 10, 13]) {
      for (const iterations of [1, 3]) {
        const p = plan({ users, iterations });
        const whole = perVuIterations.plannedIterations!(p, { index: 0, count: 1 });
        expect(whole).toBe(users * iterations);
        for (const shards of [1, 2, 3, 4]) {
          for (const workers of [1, 2, 3]) {
            const ids: number[] = [];
            let planned = 0;
            for (let shard = 0; shard < shards; shard++) {
              for (let worker = 0; worker < workers; worker++) {
                const segment = generatorSegment({ index: shard, count: shards }, worker, workers);
                ids.push(...usersOfSegment(users, segment));
                planned += perVuIterations.plannedIterations!(p, segment);
              }
            }
            expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: users }, (_, i) => i + 1));
            expect(planned).toBe(whole);
          }
        }
      }
    }
  });
});
