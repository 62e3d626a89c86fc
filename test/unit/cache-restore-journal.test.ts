import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOrphans, writeJournal } from '../../src/sources/redis/restore-journal.js';

describe('restore journal', () => {
  it('keeps records of live processes (ours) and removes them on request', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'perfspec-journal-'));
    const remove = writeJournal('127.0.0.1:6379', 'notify-keyspace-events', 'Kx', dir);
    expect(readdirSync(dir)).toHaveLength(1);
    expect(findOrphans('127.0.0.1:6379', dir)).toEqual([]);
    remove();
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it('finds records of dead processes for the same server only, and drops corrupt ones', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'perfspec-journal-'));
    const remove = writeJournal('127.0.0.1:6379', 'notify-keyspace-events', 'Kx', dir);
    const [name] = readdirSync(dir);
    const prefix = name.split('-')[0];
    // A pid far above any pid_max: certainly not running.
    const dead = { server: '127.0.0.1:6379', parameter: 'notify-keyspace-events', value: '', pid: 2 ** 30, writtenAt: 'x' };
    writeFileSync(path.join(dir, `${prefix}-${dead.pid}-1.json`), JSON.stringify(dead));
    writeFileSync(path.join(dir, `${prefix}-1-2.json`), '{not json');
    const orphans = findOrphans('127.0.0.1:6379', dir);
    expect(orphans.map((o) => [o.pid, o.value])).toEqual([[dead.pid, '']]);
    expect(findOrphans('127.0.0.1:6380', dir)).toEqual([]);
    orphans[0].remove();
    remove();
    expect(readdirSync(dir)).toEqual([]);
  });
});
