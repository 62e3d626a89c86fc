import { describe, expect, it } from 'vitest';
import { configForReplicas, pointFromReport, replicaCountsFor, scalingEfficiency } from '../../src/probes/load/scalability.js';
import type { LoadReport, LoadScenarioConfig } from '../../src/load/types.js';

const config: LoadScenarioConfig = { name: 'scale', profile: 'scalability', rate: 100, duration: '20s', flows: [{ name: 'f', steps: ['GET /'] }] };

describe('scalability planning', () => {
  it('searches 1 … N replicas, or the listed counts with 1 always included', () => {
    expect(replicaCountsFor(config, 3)).toEqual([1, 2, 3]);
    expect(replicaCountsFor({ ...config, replicaCounts: [4, 2] }, 4)).toEqual([1, 2, 4]);
    expect(() => replicaCountsFor({ ...config, replicaCounts: [8] }, 4)).toThrow(/asks for 8 replicas but the target has 4/);
    expect(() => replicaCountsFor(config, 0)).toThrow(/needs replicas of the target/);
  });

  it('k replicas: a breakpoint search up to k × the per-replica peak over the first k replicas, round robin per iteration', () => {
    const urls = ['http://a:1', 'http://a:2', 'http://a:3'];
    const two = configForReplicas({ ...config, replicaCounts: [1, 2], minEfficiency: 0.9 }, urls, 2, 100);
    expect(two).toMatchObject({
      profile: 'breakpoint',
      rate: 200,
      regionPerIteration: true,
      regions: [
        { name: 'replica 1', baseUrl: 'http://a:1' },
        { name: 'replica 2', baseUrl: 'http://a:2' },
      ],
    });
    expect(two).not.toHaveProperty('replicaCounts');
    expect(() => configForReplicas({ ...config, regions: [{ name: 'eu' }] }, urls, 1, 100)).toThrow(/remove regions/);
  });

  it('efficiency is throughput at k over k × throughput at 1', () => {
    const points = scalingEfficiency([
      { replicas: 1, throughput: 50, highestPassingRate: 50, brokeAtRate: 60 },
      { replicas: 2, throughput: 100, highestPassingRate: 100, brokeAtRate: 120 },
      { replicas: 4, throughput: 120, highestPassingRate: 120, brokeAtRate: 160 },
      { replicas: 8, throughput: null, highestPassingRate: null, brokeAtRate: 80 },
    ]);
    expect(points.map((p) => p.efficiency)).toEqual([1, 1, 0.6, null]);
    expect(scalingEfficiency([{ replicas: 2, throughput: 10, highestPassingRate: 10, brokeAtRate: null }])[0].efficiency).toBeNull();
  });

  it('reads the highest passing step of a breakpoint report', () => {
    const report = {
      breakpoint: {
        highestPassingRate: 40,
        brokeAtRate: 60,
        steps: [
          { rate: 20, passed: true, p95: 1, errorRate: 0, throughput: 18 },
          { rate: 40, passed: true, p95: 1, errorRate: 0, throughput: 37.5 },
          { rate: 60, passed: false, p95: 1, errorRate: 9, throughput: 50 },
        ],
      },
    } as unknown as LoadReport;
    expect(pointFromReport(1, report)).toEqual({ replicas: 1, highestPassingRate: 40, throughput: 37.5, brokeAtRate: 60 });
  });
});
