import { describe, expect, it } from 'vitest';
import { CONTENTION_LIMITS, judgeContention, otherProcessesCpu, systemUnderTest } from '../../src/metrics/host-contention.js';
import { parseProcStat, type ProcessEntry } from '../../src/metrics/process-table.js';
import { isLocalHost } from '../../src/metrics/local-server.js';
import { decideUnderSaturation } from '../../src/load/thresholds/saturation.js';

const proc = (pid: number, ppid: number, cpuTicks: number, comm = `p${pid}`, pgrp = pid): ProcessEntry => ({ pid, ppid, pgrp, comm, cpuTicks });
const table = (...entries: ProcessEntry[]) => new Map(entries.map((e) => [e.pid, e]));

describe('/proc/PID/stat parsing', () => {
  it('reads pid, parent, group and user+system ticks, with spaces and parentheses inside the name', () => {
    const line = '4242 (my (odd) name) S 17 4242 4242 0 -1 4194304 120 0 0 0 250 37 0 0 20 0 3 0 12345 1000 100';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 17, pgrp: 4242, comm: 'my (odd) name', cpuTicks: 287 });
  });
  it('rejects a line that is not a stat line', () => {
    expect(parseProcStat('garbage')).toBeUndefined();
    expect(parseProcStat('12 (x) S a b')).toBeUndefined();
  });
});

describe('which processes are the system under test', () => {
  // 1 init; 100 perfspec → 101 sh (target group 101) → 102 node (the target); 200 postmaster → 201, 202 backends;
  // 300 redis-server; 400 stress-ng → 401 worker; 500 orphaned child of the target's group, reparented to init.
  const processes = table(
    proc(1, 0, 0, 'init'),
    proc(100, 1, 0, 'node'),
    proc(101, 100, 0, 'sh', 101),
    proc(102, 101, 0, 'node', 101),
    proc(200, 1, 0, 'postgres'),
    proc(201, 200, 0, 'postgres'),
    proc(202, 200, 0, 'postgres'),
    proc(300, 1, 0, 'redis-server'),
    proc(400, 1, 0, 'stress-ng'),
    proc(401, 400, 0, 'stress-ng'),
    proc(500, 1, 0, 'node', 101),
  );
  it('is every descendant of perfspec and of the named servers, and the target group reparented to init', () => {
    const members = systemUnderTest(processes, [100, 200, 300]);
    expect([...members].sort((a, b) => a - b)).toEqual([100, 101, 102, 200, 201, 202, 300, 500]);
  });
  it('does not take in unrelated programs or init', () => {
    const members = systemUnderTest(processes, [100]);
    for (const pid of [1, 200, 300, 400, 401]) expect(members.has(pid)).toBe(false);
  });
  it('survives a parent cycle in a racy snapshot', () => {
    expect([...systemUnderTest(table(proc(7, 8, 0), proc(8, 7, 0)), [100])]).toEqual([]);
  });
});

describe('CPU taken by other programs', () => {
  const before = table(proc(100, 1, 1000, 'node'), proc(400, 1, 50, 'stress-ng'), proc(401, 400, 10, 'stress-ng'), proc(600, 1, 5, 'old'));
  it('adds up the ticks of non-members over the window, counting new processes from zero', () => {
    const after = table(proc(100, 1, 1500, 'node'), proc(400, 1, 150, 'stress-ng'), proc(401, 400, 110, 'stress-ng'), proc(402, 400, 40, 'stress-ng'));
    // 2 s window: stress-ng 100 + 100 + 40 = 240 ticks = 2.4 s → 1.2 cores; perfspec's own 500 ticks are not counted.
    const others = otherProcessesCpu(before, after, new Set([100]), 2000);
    expect(others.cores).toBeCloseTo(1.2, 10);
    expect(others.top).toEqual([{ comm: 'stress-ng', cores: 1.2 }]);
  });
  it('treats a pid reused by another program as new', () => {
    const after = table(proc(600, 1, 30, 'yes'));
    expect(otherProcessesCpu(before, after, new Set(), 1000).cores).toBeCloseTo(0.3, 10);
  });
});

describe('the contention rule', () => {
  const base = { cpus: 2, topOthers: [{ comm: 'stress-ng', cores: 1.1 }], durationMs: 20_000 };
  it('holds when the machine is full and others took at least a quarter of it', () => {
    const judged = judgeContention({ ...base, machineBusy: 0.97, otherCores: 1.1 });
    expect(judged.contended).toBe(true);
    expect(judged.reason).toMatch(/97% busy.*other programs.*took 1\.10 of 2 CPUs \(stress-ng 1\.10\)/);
  });
  it('does not hold when the target itself fills the machine (others idle)', () => {
    expect(judgeContention({ ...base, machineBusy: 1, otherCores: 0.1 }).contended).toBe(false);
  });
  it('does not hold when the machine had idle CPU, however busy others were', () => {
    expect(judgeContention({ ...base, machineBusy: CONTENTION_LIMITS.machineBusy - 0.01, otherCores: 1.5 }).contended).toBe(false);
  });
  it('is decided at the limits exactly', () => {
    expect(judgeContention({ ...base, machineBusy: CONTENTION_LIMITS.machineBusy, otherCores: 2 * CONTENTION_LIMITS.otherShare }).contended).toBe(true);
  });
});

describe('a failing load threshold under contention', () => {
  const trusted = { trustworthy: true, reasons: [] };
  it('is inconclusive for latency and throughput, naming the contention', () => {
    const decision = decideUnderSaturation(false, 'p95', { ...trusted, contention: 'other programs took 1.2 of 2 CPUs' });
    expect(decision.outcome).toBe('inconclusive');
    expect(decision.reason).toMatch(/measured while other programs took 1\.2 of 2 CPUs/);
    expect(decideUnderSaturation(false, 'throughput', { ...trusted, contention: 'x' }).outcome).toBe('inconclusive');
  });
  it('stands for error rates, for failures resting on dropped arrivals, and without contention', () => {
    expect(decideUnderSaturation(false, 'error_rate', { ...trusted, contention: 'x' }).outcome).toBe('fail');
    expect(decideUnderSaturation(false, 'p99', { ...trusted, contention: 'x' }, true).outcome).toBe('fail');
    expect(decideUnderSaturation(false, 'p95', trusted).outcome).toBe('fail');
  });
  it('never turns a pass into anything else', () => {
    expect(decideUnderSaturation(true, 'p95', { ...trusted, contention: 'x' }).outcome).toBe('pass');
  });
});

describe('local hosts', () => {
  it('are loopback names, addresses and socket directories', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '/var/run/postgresql']) expect(isLocalHost(host)).toBe(true);
    for (const host of ['10.0.0.5', 'db.example.com', '128.0.0.1']) expect(isLocalHost(host)).toBe(false);
  });
});
