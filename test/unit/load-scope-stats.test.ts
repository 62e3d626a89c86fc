import { describe, expect, it } from 'vitest';
import type { StatEntry } from '../../src/load/flows/compile-flows.js';
import { LoadAggregate } from '../../src/load/metrics/aggregate.js';
import { TickCollector } from '../../src/load/metrics/tick.js';
import type { ThresholdScope } from '../../src/load/thresholds/parse-thresholds.js';
import { lookupAt, measuredWindowMs, scopeRows, statsForScope, type TotalsWhere } from '../../src/load/thresholds/scope-stats.js';

// Two flows; "GET /a" is sent by both, so a request scope and a flow scope select different entries.
const entries: StatEntry[] = [
  { id: 0, flow: 'browse', name: 'GET /a', region: 'default' },
  { id: 1, flow: 'browse', name: 'GET /b', region: 'default' },
  { id: 2, flow: 'buy', name: 'GET /a', region: 'default' },
  { id: 3, flow: 'buy', name: 'POST /order', region: 'default' },
];
const scopes: ThresholdScope[] = [
  { kind: 'overall' },
  { kind: 'request', name: 'GET /a' },
  { kind: 'request', name: 'POST /order' },
  { kind: 'flow', name: 'browse' },
  { kind: 'flow', name: 'buy' },
];

/** A run of `seconds` ticks from one generator: responses, errors and dropped arrivals on every entry. */
function aggregateOf(seconds: number): LoadAggregate {
  const aggregate = new LoadAggregate(entries, 1);
  const collector = new TickCollector(entries.length);
  let x = 7;
  for (let seq = 1; seq <= seconds; seq++) {
    for (let i = 0; i < 400; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const id = i % entries.length;
      const ms = 2 + (x / 2 ** 31) * 40 * (id + 1);
      if (i % 37 === 0) collector.recordFailure(id, 'timeout');
      else collector.recordResponse(id, ms, ms, i % 53 === 0 ? 500 : 200, i % 53 === 0 ? 'expect_failed' : undefined);
    }
    if (seq === 2) for (let i = 0; i < 9; i++) collector.recordDropped(i % 2 === 0 ? 3 : 1);
    aggregate.add({ generator: 0, seq, final: seq === seconds, ...collector.drain(), users: 4, health: { elu: 0.1, delayP99Ms: 1 } });
  }
  aggregate.flush();
  return aggregate;
}

const rowsOf = (aggregate: LoadAggregate, windowMs: number) => {
  const where: TotalsWhere = (match) => aggregate.totalsWhere(match);
  return scopeRows(where, windowMs, [...new Set(entries.map((e) => e.name))], ['browse', 'buy']);
};

describe('a threshold scope has one set of figures, mid-run and at the end', () => {
  it('the abortOnFail look-up after the last second equals the report row the final verdict judges', () => {
    // Planned 2.5 s; the last tick (second 4) comes after the graceful drain, the run ended at 3.2 s.
    const aggregate = makeAndCheckAggregate(4);
    const plannedMs = 2500;
    const final = rowsOf(aggregate, measuredWindowMs(3200, plannedMs));
    const midRun = lookupAt((match) => aggregate.totalsWhere(match), 4000, plannedMs);
    for (const scope of scopes) {
      const row = statsForScope(final, scope);
      expect(row, JSON.stringify(scope)).toBeDefined();
      expect(midRun(scope), JSON.stringify(scope)).toEqual(row);
    }
    // The figures are the run's, not a tautology of empty rows: drops, errors and throughput over the planned window.
    expect(final.overall.dropped).toBe(9);
    expect(statsForScope(final, { kind: 'request', name: 'POST /order' })!.dropped).toBe(5);
    expect(statsForScope(final, { kind: 'flow', name: 'browse' })!.dropped).toBe(4);
    expect(final.overall.throughput).toBeCloseTo(final.overall.requests / 2.5, 9);
    expect(final.overall.errors).toBeGreaterThan(0);
  });

  it('after an early stop both judge the window up to the stop', () => {
    const aggregate = makeAndCheckAggregate(3);
    const final = rowsOf(aggregate, measuredWindowMs(2300, 10_000, 2000));
    const midRun = lookupAt((match) => aggregate.totalsWhere(match), 3000, 10_000, 2000);
    for (const scope of scopes) expect(midRun(scope)).toEqual(statsForScope(final, scope));
    expect(final.overall.throughput).toBeCloseTo(final.overall.requests / 2, 9);
  });

  it('a scope the report has no row for has no figures (judged n/a, never 0)', () => {
    const final = rowsOf(makeAndCheckAggregate(1), 1000);
    expect(statsForScope(final, { kind: 'request', name: 'GET /nowhere' })).toBeUndefined();
    expect(statsForScope(final, { kind: 'flow', name: 'nowhere' })).toBeUndefined();
  });
});

function makeAndCheckAggregate(seconds: number): LoadAggregate {
  const aggregate = aggregateOf(seconds);
  expect(aggregate.timeline).toHaveLength(seconds);
  return aggregate;
}
