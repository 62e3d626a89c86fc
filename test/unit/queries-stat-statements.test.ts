import { describe, expect, it } from 'vitest';
import { parsePostgresUrl } from '../../src/sources/postgres/connect.js';
import { deltasToStatements, diffSnapshots, pgStatStatementsFix, type StatRow, type StatSnapshot } from '../../src/sources/postgres/stat-statements.js';

function snapshot(rows: Array<Partial<StatRow> & { queryid: string; calls: number }>, dealloc: number | null = 0): StatSnapshot {
  return {
    dealloc,
    rows: new Map(rows.map((row) => [`${row.queryid}:true`, { toplevel: true, totalMs: 0, query: `q${row.queryid}`, ...row }])),
  };
}

describe('diffSnapshots', () => {
  it('returns the rows whose calls grew, with the growth and its time', () => {
    const before = snapshot([
      { queryid: '1', calls: 10, totalMs: 5 },
      { queryid: '2', calls: 3, totalMs: 1 },
    ]);
    const after = snapshot([
      { queryid: '1', calls: 110, totalMs: 25 },
      { queryid: '2', calls: 3, totalMs: 1 },
      { queryid: '3', calls: 1, totalMs: 2 },
    ]);
    expect(diffSnapshots(before, after)).toEqual([
      { queryid: '3', query: 'q3', calls: 1, totalMs: 2 },
      { queryid: '1', query: 'q1', calls: 100, totalMs: 20 },
    ]);
  });

  it('takes the whole count of a row that was evicted and re-created in between', () => {
    const before = snapshot([{ queryid: '1', calls: 50, totalMs: 10 }]);
    const after = snapshot([{ queryid: '1', calls: 4, totalMs: 1 }]);
    expect(diffSnapshots(before, after)).toEqual([{ queryid: '1', query: 'q1', calls: 4, totalMs: 1 }]);
  });

  it('is empty when nothing ran', () => {
    const same = snapshot([{ queryid: '1', calls: 5 }]);
    expect(diffSnapshots(same, same)).toEqual([]);
  });
});

describe('deltasToStatements', () => {
  it('gives one record per group with its count, mean time and utility flag', () => {
    expect(
      deltasToStatements([
        { queryid: '1', query: 'SELECT * FROM users WHERE id = $1', calls: 4, totalMs: 2 },
        { queryid: '2', query: 'BEGIN', calls: 1, totalMs: 0.01 },
      ]),
    ).toEqual([
      { sql: 'SELECT * FROM users WHERE id = $1', durationMs: 0.5, count: 4, utility: false },
      { sql: 'BEGIN', durationMs: 0.01, count: 1, utility: true },
    ]);
  });
});

describe('pgStatStatementsFix', () => {
  const target = parsePostgresUrl('postgres://app@127.0.0.1:5432/phase3');

  it('gives the exact commands: preload (keeping other libraries), restart, create', () => {
    expect(pgStatStatementsFix(target, 'auto_explain', 15).split('\n')).toEqual([
      `psql -h 127.0.0.1 -p 5432 -U postgres -c "ALTER SYSTEM SET shared_preload_libraries = 'auto_explain,pg_stat_statements'"`,
      'pg_ctlcluster --skip-systemctl-redirect 15 main restart   # or restart PostgreSQL the way it is managed here',
      'psql -h 127.0.0.1 -p 5432 -U postgres -d phase3 -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"',
      'Cannot restart the server? Use `source: proxy` under services.postgres: it needs nothing from the server.',
    ]);
  });

  it('does not list the library twice or keep empty entries', () => {
    expect(pgStatStatementsFix(target, '', null)).toContain(`shared_preload_libraries = 'pg_stat_statements'`);
    expect(pgStatStatementsFix(target, 'pg_stat_statements, ', null)).toContain(`shared_preload_libraries = 'pg_stat_statements'`);
    expect(pgStatStatementsFix(target, '', null)).toContain('pg_ctlcluster --skip-systemctl-redirect <version> main restart');
  });

  it('asks to look at the current libraries first when perfspec could not read them', () => {
    expect(pgStatStatementsFix(target, null, 15).split('\n')[0]).toBe(
      'psql -h 127.0.0.1 -p 5432 -U postgres -c "SHOW shared_preload_libraries"   # keep what is listed there in the next line',
    );
  });
});
