import { describe, expect, it } from 'vitest';
import { parseLoggedParameters, readDurationLog, readStatementLog } from '../../src/sources/postgres/statement-log.js';

// Lines as PG15 on Debian writes them (log_statement = 'all', prefix '%m [%p] %q%u@%d ').
const LOG = [
  '2026-11-27 04:23:10.826 UTC [100] postgres@db LOG:  statement: SELECT 1; SELECT 2',
  '2026-11-27 04:23:10.827 UTC [200] postgres@db LOG:  statement: BEGIN',
  '2026-11-27 04:23:10.829 UTC [100] postgres@db LOG:  execute <unnamed>: SELECT $1::int AS x,',
  '\t $2::text',
  "2026-11-27 04:23:10.829 UTC [100] postgres@db DETAIL:  parameters: $1 = '5', $2 = 'it''s'",
  '2026-11-27 04:23:10.829 UTC [100] postgres@db LOG:  execute n1: SELECT $1::int',
  '2026-11-27 04:23:10.829 UTC [100] postgres@db DETAIL:  parameters: $1 = NULL',
  '2026-11-27 04:23:10.830 UTC [100] postgres@db ERROR:  syntax error at or near "SELEC" at character 1',
  '2026-11-27 04:23:10.830 UTC [200] postgres@db LOG:  statement: COMMIT',
  '2026-11-27 04:23:10.830 UTC [100] postgres@db STATEMENT:  SELEC x',
  '2026-11-27 04:23:10.831 UTC [100] postgres@db ERROR:  invalid input syntax for type integer: "a"',
  "2026-11-27 04:23:10.831 UTC [100] postgres@db CONTEXT:  unnamed portal parameter $1 = '...'",
  '2026-11-27 04:23:10.831 UTC [100] postgres@db STATEMENT:  SELECT $1::int',
  '2026-11-27 04:23:10.832 UTC [100] postgres@db LOG:  execute <unnamed>: SELECT 1/$1',
  "2026-11-27 04:23:10.832 UTC [100] postgres@db DETAIL:  parameters: $1 = '0'",
  '2026-11-27 04:23:10.832 UTC [100] postgres@db ERROR:  division by zero',
  '2026-11-27 04:23:10.832 UTC [100] postgres@db STATEMENT:  SELECT 1/$1',
  '2026-11-27 04:23:10.833 UTC [100] postgres@db LOG:  statement: SELECT 1; SELECT 1/0; SELECT 3',
  '2026-11-27 04:23:10.833 UTC [100] postgres@db ERROR:  division by zero',
  '2026-11-27 04:23:10.833 UTC [100] postgres@db STATEMENT:  SELECT 1; SELECT 1/0; SELECT 3',
  '2026-11-27 04:23:10.834 UTC [300] postgres@db FATAL:  terminating connection due to administrator command',
  '',
].join('\n');

describe('readStatementLog', () => {
  it('reads statements per process, in order, with parameters and failures', () => {
    expect(readStatementLog(LOG, new Set([100]))).toEqual([
      { pid: 100, sql: 'SELECT 1' },
      { pid: 100, sql: 'SELECT 2' },
      { pid: 100, sql: 'SELECT $1::int AS x,\n $2::text', params: ['5', "it's"] },
      { pid: 100, sql: 'SELECT $1::int', params: [null] },
      { pid: 100, sql: 'SELEC x', error: 'syntax error at or near "SELEC" at character 1' },
      { pid: 100, sql: 'SELECT $1::int', error: 'invalid input syntax for type integer: "a"' },
      { pid: 100, sql: 'SELECT 1/$1', params: ['0'], error: 'division by zero' },
      { pid: 100, sql: 'SELECT 1', ambiguous: true },
      { pid: 100, sql: 'SELECT 1/0', ambiguous: true },
      { pid: 100, sql: 'SELECT 3', ambiguous: true },
    ]);
  });

  it('keeps other processes apart and reads all of them when no pids are given', () => {
    expect(readStatementLog(LOG, new Set([200]))).toEqual([
      { pid: 200, sql: 'BEGIN' },
      { pid: 200, sql: 'COMMIT' },
    ]);
    expect(readStatementLog(LOG)).toHaveLength(12);
  });
});

describe('parseLoggedParameters', () => {
  it('reads quoted values, doubled quotes and NULL', () => {
    expect(parseLoggedParameters("$1 = 'a, b', $2 = NULL, $3 = 'it''s'")).toEqual(['a, b', null, "it's"]);
  });
});

describe('readDurationLog', () => {
  // Lines as PG15 on Debian writes them with log_min_duration_statement = 0 (and log_statement = 'none').
  const DURATIONS = [
    '2026-12-01 15:59:26.262 UTC [6207] postgres@db LOG:  duration: 1.278 ms  statement: SELECT count(*)',
    '\tFROM t',
    '2026-12-01 15:59:26.268 UTC [6207] postgres@db LOG:  duration: 0.986 ms  parse <unnamed>: SELECT $1::int + 1 AS n',
    '2026-12-01 15:59:26.268 UTC [6300] postgres@db LOG:  duration: 9.5 ms  statement: SELECT 2',
    '2026-12-01 15:59:26.268 UTC [6207] postgres@db LOG:  duration: 0.035 ms  bind <unnamed>: SELECT $1::int + 1 AS n',
    "2026-12-01 15:59:26.268 UTC [6207] postgres@db DETAIL:  parameters: $1 = '5'",
    '2026-12-01 15:59:26.268 UTC [6207] postgres@db LOG:  duration: 0.005 ms  execute <unnamed>: SELECT $1::int + 1 AS n',
    '2026-12-01 15:59:26.269 UTC [6207] postgres@db LOG:  duration: 0.004 ms  bind s1/p1: SELECT 1',
    '2026-12-01 15:59:26.270 UTC [6207] postgres@db LOG:  statement: SELECT 3',
    '2026-12-01 15:59:26.271 UTC [5431] LOG:  checkpoint complete: wrote 3591 buffers',
    '',
  ].join('\n');

  it('reads every duration line of the given processes, in order, with its kind and text', () => {
    expect(readDurationLog(DURATIONS, new Set([6207]))).toEqual([
      { pid: 6207, kind: 'statement', durationMs: 1.278, sql: 'SELECT count(*)\nFROM t' },
      { pid: 6207, kind: 'parse', durationMs: 0.986, sql: 'SELECT $1::int + 1 AS n' },
      { pid: 6207, kind: 'bind', durationMs: 0.035, sql: 'SELECT $1::int + 1 AS n' },
      { pid: 6207, kind: 'execute', durationMs: 0.005, sql: 'SELECT $1::int + 1 AS n' },
      { pid: 6207, kind: 'bind', durationMs: 0.004, sql: 'SELECT 1' },
    ]);
    expect(readDurationLog(DURATIONS).map((line) => line.pid)).toEqual([6207, 6207, 6300, 6207, 6207, 6207]);
  });
});
