import { describe, expect, it } from 'vitest';
import { bucketOf, bucketUpperMs, HISTOGRAM_BUCKETS, StatementAggregates } from '../../src/sources/postgres/statement-aggregates.js';
import { shapeHash } from '../../src/sources/postgres/statement-shape.js';

const shape = (sql: string) => {
  const bytes = Buffer.from(`${sql}\0trailing bytes after the NUL`, 'utf8');
  return shapeHash(bytes, 0, bytes.length);
};

describe('shapeHash', () => {
  it('gives statements that differ only in constants one shape', () => {
    expect(shape('SELECT abalance FROM pgbench_accounts WHERE aid = 17')).toBe(shape('SELECT abalance FROM pgbench_accounts WHERE aid = 99231'));
    expect(shape("SELECT * FROM users WHERE name = 'ann' AND age > 3.5")).toBe(shape("SELECT * FROM users WHERE name = 'it''s bob' AND age > 12"));
    expect(shape('select  *\n from t where id=1')).toBe(shape('SELECT * FROM t WHERE id=2'));
    expect(shape('SELECT 1e5')).toBe(shape('SELECT 2'));
  });

  it('keeps statements of different shapes apart', () => {
    const texts = [
      'SELECT * FROM t1 WHERE id = 1',
      'SELECT * FROM t2 WHERE id = 1',
      'SELECT * FROM t WHERE id = $1',
      'SELECT * FROM t WHERE id = $2',
      'SELECT * FROM t WHERE id = 1 AND x = 2',
      'SELECT name FROM t WHERE id = 1',
      'UPDATE t SET x = 1 WHERE id = 2',
      "SELECT * FROM t WHERE name = 'x'",
      'SELECT * FROM "T" WHERE id = 1',
    ];
    expect(new Set(texts.map(shape)).size).toBe(texts.length);
  });

  it('reads only up to the NUL or the end given, and is a uint32', () => {
    const bytes = Buffer.from('SELECT 1\0SELECT name FROM t');
    expect(shapeHash(bytes, 0, bytes.length)).toBe(shape('SELECT 7'));
    expect(shapeHash(bytes, 0, 6)).toBe(shape('SELECT'));
    expect(Number.isInteger(shapeHash(bytes, 9, bytes.length))).toBe(true);
    expect(shapeHash(bytes, 9, bytes.length)).toBeGreaterThanOrEqual(0);
    // An unterminated quote (a text cut at the proxy's cap) ends the text without reading past it.
    const cut = Buffer.from("SELECT 'abc");
    expect(() => shapeHash(cut, 0, cut.length)).not.toThrow();
  });
});

describe('StatementAggregates', () => {
  it('counts per shape, with errors, total, max and a histogram that adds up', () => {
    const aggregates = new StatementAggregates();
    aggregates.describe(1, 'SELECT 1');
    aggregates.describe(1, 'SELECT 2'); // the first text stays
    aggregates.describe(2, 'UPDATE t SET x = 1');
    for (const ms of [0.05, 0.2, 1, 3]) aggregates.add(1, ms, false);
    aggregates.add(2, 0.5, true);
    const summary = aggregates.summary();
    expect(summary.statements).toBe(5);
    expect(summary.overflowed).toBe(0);
    const first = summary.shapes.find((s) => s.shape === 1);
    expect(first).toMatchObject({ text: 'SELECT 1', count: 4, errors: 0, maxMs: 3 });
    expect(first?.totalMs).toBeCloseTo(4.25, 10);
    expect(first?.histogram.reduce((a, b) => a + b, 0)).toBe(4);
    expect(summary.shapes.find((s) => s.shape === 2)).toMatchObject({ count: 1, errors: 1 });
  });

  it('stays bounded: shapes past the cap are counted in one "other" group', () => {
    const aggregates = new StatementAggregates(10);
    for (let k = 0; k < 1000; k++) {
      if (!aggregates.has(k)) aggregates.describe(k, `SELECT ${k}`);
      aggregates.add(k, 1, false);
    }
    const summary = aggregates.summary();
    expect(aggregates.shapeCount).toBe(11);
    expect(summary.statements).toBe(1000);
    expect(summary.overflowed).toBe(990);
    expect(summary.shapes.find((s) => s.shape === -1)?.text).toBe('(other statements)');
  });

  it('puts every time in a bucket whose bounds hold it', () => {
    for (const ms of [0, 0.0005, 0.001, 0.0123, 0.5, 1, 7.3, 250, 1e6]) {
      const k = bucketOf(ms);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(k).toBeLessThan(HISTOGRAM_BUCKETS);
      if (k < HISTOGRAM_BUCKETS - 1) expect(ms).toBeLessThan(bucketUpperMs(k));
      if (k > 0) expect(ms).toBeGreaterThanOrEqual(bucketUpperMs(k - 1));
    }
  });
});
