import { describe, expect, it } from 'vitest';
import { parseOpenFileLimit } from '../../src/load/limits/open-file-limit.js';
import { checkSocketBudget, FDS_PER_WORKER, loadSockets, PROXY_DB_CONNECTIONS, RESERVED_FDS } from '../../src/load/plan/socket-budget.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                20000                files
Max locked memory         8388608              8388608              bytes
`;

describe('reading the open-file limit', () => {
  it('parses the soft and hard limits of /proc/self/limits, unlimited as Infinity', () => {
    expect(parseOpenFileLimit(LIMITS)).toEqual({ soft: 20000, hard: 20000 });
    expect(parseOpenFileLimit('Max open files            1024                 unlimited            files')).toEqual({
      soft: 1024,
      hard: Number.POSITIVE_INFINITY,
    });
    expect(parseOpenFileLimit('nothing here')).toBeUndefined();
  });
});

describe('the sockets a scenario can open against the open-file limit', () => {
  const plan = (connections: number, maxUsers: number, workers = 1) => ({ name: 'big', connections, maxUsers, workers });
  const limit = (soft: number, inUse = 20) => ({ soft, hard: soft, inUse });

  it('counts connections × origins × workers, never more than the users a thread can have', () => {
    expect(loadSockets(plan(20_000, 50_000), 1)).toEqual({ total: 20_000, perOrigin: 20_000 });
    expect(loadSockets(plan(256, 100), 2)).toEqual({ total: 200, perOrigin: 100 });
    expect(loadSockets(plan(100, 1000, 4), 3)).toEqual({ total: 1200, perOrigin: 100 });
  });

  it('accepts a scenario that fits, exactly up to the limit', () => {
    const fixed = 20 + RESERVED_FDS + FDS_PER_WORKER;
    expect(checkSocketBudget({ plan: plan(1000 - fixed, 5000), origins: 1, proxy: false, startsTarget: false, limit: limit(1000) })).toEqual([]);
    expect(checkSocketBudget({ plan: plan(1001 - fixed, 5000), origins: 1, proxy: false, startsTarget: false, limit: limit(1000) })).toHaveLength(1);
  });

  it('refuses connections at the limit, naming both numbers and the fixes', () => {
    const [problem] = checkSocketBudget({ plan: plan(20_000, 50_000), origins: 1, proxy: false, startsTarget: false, limit: limit(20_000, 31) });
    expect(problem).toContain('it can open 20000 sockets (20000 connections × 1 origin × 1 worker), but this process may open only 20000 files');
    expect(problem).toContain(`${20_000 + 31 + RESERVED_FDS + FDS_PER_WORKER} needed`);
    expect(problem).toContain('`ulimit -n 20480`');
    expect(problem).toContain(`set connections to at most ${20_000 - 31 - RESERVED_FDS - FDS_PER_WORKER}`);
    expect(problem).toContain('cannot raise its own limit');
  });

  it('counts the proxy in this process and the target perfspec starts, which inherits the limit', () => {
    const base = { plan: plan(800, 800), origins: 1, limit: limit(1024) };
    expect(checkSocketBudget({ ...base, proxy: false, startsTarget: false })).toEqual([]);
    const withProxy = checkSocketBudget({ ...base, proxy: true, startsTarget: false });
    expect(withProxy).toHaveLength(1);
    expect(withProxy[0]).toContain(`${2 * PROXY_DB_CONNECTIONS} for the PostgreSQL proxy`);
    const target = checkSocketBudget({ plan: plan(1000, 1000), origins: 1, proxy: false, startsTarget: true, limit: { soft: 1024, hard: 1024, inUse: 0 } });
    expect(target.some((p) => p.includes('the target perfspec starts inherits the open-file limit of 1024 and must accept 1000 connections'))).toBe(true);
  });
});
