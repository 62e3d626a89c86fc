import { describe, expect, it } from 'vitest';
import { describeProxyCost, proxyCostFromSamples } from '../../src/sources/postgres/proxy-cost.js';

describe('proxyCostFromSamples', () => {
  it('is the difference of the medians, never negative', () => {
    const cost = proxyCostFromSamples([0.1, 0.2, 0.3, 5], [0.25, 0.35, 0.45, 0.3]);
    expect(cost.directMedianMs).toBeCloseTo(0.25, 10);
    expect(cost.proxiedMedianMs).toBeCloseTo(0.325, 10);
    expect(cost.pairs).toBe(4);
    expect(proxyCostFromSamples([0.1, 0.2, 0.3, 5], [0.25, 0.35, 0.45, 0.3]).addedMsPerStatement).toBeCloseTo(0.075, 10);
    expect(proxyCostFromSamples([1, 1, 1], [0.5, 0.5, 0.5]).addedMsPerStatement).toBe(0);
  });
});

describe('describeProxyCost', () => {
  it('says statements per request, the cost per statement and their product', () => {
    const cost = { addedMsPerStatement: 0.08, directMedianMs: 0.12, proxiedMedianMs: 0.2, pairs: 60 };
    expect(describeProxyCost(cost, 41)).toBe(
      "Query proxy: 41 statement(s) per request went through perfspec's PostgreSQL proxy, which added 0.08ms per statement when measured after this check (SELECT 1 direct 0.12ms, through the proxy 0.2ms, medians of 60 interleaved pairs): about 3.28ms of each latency above is the proxy's.",
    );
    expect(describeProxyCost(cost, 2.5)).toMatch(/^Query proxy: 2\.5 statement\(s\) per request .* about 0\.2ms of each latency/);
  });
});
