import { describe, expect, it } from 'vitest';
import { HitTally } from '../../src/sources/redis/hit-tally.js';
import { parseMonitorLine } from '../../src/sources/redis/monitor-line.js';

const START = 'perfspec:sentinel:x:start';
const END = 'perfspec:sentinel:x:end';
const ME = '127.0.0.1:1000';
const APP = '127.0.0.1:2000';

function tally(patterns = ['sso:config:*', 'user:*']): HitTally {
  return new HitTally({ patterns, db: 10, startSentinel: START, endSentinel: END, ownSources: [ME] });
}

function feed(t: HitTally, source: string, db: number, ...args: string[]): void {
  const quoted = args.map((a) => `"${a}"`).join(' ');
  const line = parseMonitorLine(`1700000000.000001 [${db} ${source}] ${quoted}`);
  if (!line) throw new Error('bad test line');
  t.observeMonitorLine(line);
}

function open(t: HitTally): void {
  feed(t, ME, 10, 'GET', START);
  t.observeKeymiss(START);
}

function closeWindow(t: HitTally): void {
  feed(t, ME, 10, 'GET', END);
  t.observeKeymiss(END);
}

describe('HitTally', () => {
  it('computes hits = reads - misses per pattern (cache-aside: 20 misses in 100 reads)', () => {
    const t = tally();
    open(t);
    for (let i = 0; i < 100; i++) {
      const key = `sso:config:${i % 20}`;
      feed(t, APP, 10, 'GET', key);
      if (i < 20) {
        t.observeKeymiss(key);
        feed(t, APP, 10, 'SET', key, 'v', 'EX', '900');
      }
    }
    closeWindow(t);
    const summary = t.summarize();
    expect(summary.drained).toBe(true);
    expect(summary.patterns[0]).toMatchObject({ reads: 100, misses: 20, hits: 80, hitRate: 80 });
    expect(summary.patterns[0].ttlWrites).toEqual(Array(20).fill(900_000));
    expect(summary.patterns[1]).toMatchObject({ reads: 0, misses: 0, hits: 0, hitRate: null });
  });

  it('counts only between the sentinels, each stream on its own', () => {
    const t = tally();
    feed(t, APP, 10, 'GET', 'sso:config:1'); // before the window
    t.observeKeymiss('sso:config:1');
    open(t);
    feed(t, APP, 10, 'GET', 'sso:config:2');
    closeWindow(t);
    feed(t, APP, 10, 'GET', 'sso:config:3'); // after the window
    t.observeKeymiss('sso:config:3');
    expect(t.summarize().patterns[0]).toMatchObject({ reads: 1, misses: 0, hits: 1 });
  });

  it('reports not drained until both end sentinels arrived', () => {
    const t = tally();
    open(t);
    feed(t, ME, 10, 'GET', END);
    expect(t.summarize().drained).toBe(false);
    t.observeKeymiss(END);
    expect(t.summarize().drained).toBe(true);
  });

  it('ignores other databases, perfspec own connection and non-read commands', () => {
    const t = tally();
    open(t);
    feed(t, APP, 9, 'GET', 'sso:config:1');
    feed(t, ME, 10, 'PTTL', 'sso:config:1');
    feed(t, APP, 10, 'SET', 'sso:config:1', 'v');
    feed(t, APP, 10, 'DEL', 'sso:config:1');
    closeWindow(t);
    expect(t.summarize().patterns[0].reads).toBe(0);
  });

  it('counts MGET and EXISTS per key, Lua reads too, and keeps patterns apart', () => {
    const t = tally();
    open(t);
    feed(t, APP, 10, 'MGET', 'sso:config:1', 'user:1', 'user:2', 'other:1');
    feed(t, 'lua', 10, 'get', 'user:3');
    feed(t, APP, 10, 'EXISTS', 'user:1', 'user:1');
    t.observeKeymiss('user:2');
    t.observeKeymiss('other:1');
    closeWindow(t);
    const summary = t.summarize();
    expect(summary.patterns[0]).toMatchObject({ reads: 1, misses: 0, hits: 1 });
    expect(summary.patterns[1]).toMatchObject({ reads: 5, misses: 1, hits: 4, hitRate: 80 });
    expect(summary).toMatchObject({ otherReads: 1, otherMisses: 1 });
  });

  it('counts a key under every overlapping pattern', () => {
    const t = tally(['user:*', 'user:admin:*']);
    open(t);
    feed(t, APP, 10, 'GET', 'user:admin:1');
    closeWindow(t);
    expect(t.summarize().patterns.map((p) => p.reads)).toEqual([1, 1]);
  });

  it('flags more misses than reads instead of reporting negative hits', () => {
    const t = tally();
    open(t);
    t.observeKeymiss('sso:config:1');
    closeWindow(t);
    const summary = t.summarize();
    expect(summary.patterns[0]).toMatchObject({ reads: 0, misses: 1, hits: 0 });
    expect(summary.anomalies[0]).toContain('sso:config:*: 1 key misses but only 0 reads');
  });
});
