/** shared-iterations: its plan, its checks, and its exact split of the total across generator threads and shards. */
import { describe, expect, it } from 'vitest';
import { usersOfSegment } from '../../src/load/executors/per-vu-iterations.js';
import { segmentIterations, sharedIterations } from '../../src/load/executors/shared-iterations.js';
import { planScenario } from '../../src/load/plan/plan-scenario.js';
import { generatorSegment } from '../../src/load/shard/segments.js';
import type { LoadScenarioConfig } from '../../src/load/types.js';

const plan = (extra: Record<string, unknown>) =>
  planScenario({ name: 'q', executor: 'shared-iterations', flows: [{ name: 'f', steps: ['GET /'] }], ...extra } as LoadScenarioConfig);

describe('shared-iterations: plan', () => {
  it('plans the total shared by the users, at most maxDuration (default 10m as k6)', () => {
    const p = plan({ users: 10, iterations: 200 });
    expect(p).toMatchObject({ executor: 'shared-iterations', model: 'closed', peak: 10, maxUsers: 10, iterations: 200, durationMs: 600_000, startSpreadMs: 0 });
    expect(plan({ iterations: 5, maxDuration: '2m' })).toMatchObject({ peak: 1, iterations: 5, durationMs: 120_000 });
    expect(sharedIterations.describe(plan({ users: 10, iterations: 200, maxDuration: '1m' }))).toBe('200 iterations shared by 10 users, at most 1m');
  });

  it('refuses fewer iterations than users (as k6), a missing iterations, and a maxDuration under 1s', () => {
    expect(() => plan({ users: 5, iterations: 3 })).toThrow(
      expect.objectContaining({
        code: 'PS_SPEC_INVALID',
        message: 'load scenario "q": iterations (3) may not be fewer than users (5) with executor shared-iterations',
        hint: 'Each user runs at least one iteration: give iterations: 5 or more, or fewer users.',
      }),
    );
    expect(plan({ users: 5, iterations: 5 }).iterations).toBe(5);
    expect(() => plan({ users: 5 })).toThrow('load scenario "q": executor shared-iterations needs iterations (how many iterations all users run together)');
    expect(() => plan({ iterations: 5, maxDuration: '999ms' })).toThrow('load scenario "q": maxDuration must be at least 1s, got 999ms');
    expect(() => plan({ iterations: 5, rate: 2 })).toThrow('load scenario "q": rate: executor shared-iterations does not use it');
  });
});

describe('shared-iterations: split across generators and shards', () => {
  it('the segments add up to exactly the total, and a segment with iterations has users to run them', () => {
    for (const users of [1, 2, 3, 7, 10]) {
      for (const iterations of [users, users + 1, 3 * users + 2, 1000]) {
        const p = plan({ users, iterations });
        expect(sharedIterations.plannedIterations!(p, { index: 0, count: 1 })).toBe(iterations);
        for (const shards of [1, 2, 3, 5]) {
          for (const workers of [1, 2, 3]) {
            let sum = 0;
            for (let shard = 0; shard < shards; shard++) {
              for (let worker = 0; worker < workers; worker++) {
                const segment = generatorSegment({ index: shard, count: shards }, worker, workers);
                const mine = sharedIterations.plannedIterations!(p, segment);
                const ids = usersOfSegment(users, segment);
                // Each user brings at least one iteration, and about its even share.
                expect(mine).toBeGreaterThanOrEqual(ids.length);
                expect(mine).toBeLessThanOrEqual(ids.length * Math.ceil(iterations / users));
                if (ids.length === 0) expect(mine).toBe(0);
                sum += mine;
              }
            }
            expect(sum).toBe(iterations);
          }
        }
      }
    }
  });

  it('splits 10 iterations of 4 users over 3 shards as 5, 3 and 2 (users 1 and 4, user 2, user 3; quotas 2, 3, 2, 3)', () => {
    expect([0, 1, 2].map((index) => segmentIterations(10, 4, { index, count: 3 }))).toEqual([5, 3, 2]);
  });
});
