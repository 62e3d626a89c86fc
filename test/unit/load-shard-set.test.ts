import { describe, expect, it } from 'vitest';
import { checkShardSet, type NamedShard, type ShardIdentity } from '../../src/load/shard/shard-file.js';
import type { RunResult } from '../../src/result/result.js';

const identity = (index: number, over: Partial<ShardIdentity> = {}): ShardIdentity => ({
  version: '0.1.0',
  specHash: 'a'.repeat(64),
  planHash: 'b'.repeat(64),
  shard: { index, count: 3 },
  specs: ['s'],
  ...over,
});
const shard = (source: string, id: ShardIdentity, formatVersion = 1): NamedShard => ({
  source,
  file: { kind: 'perfspec-shard', formatVersion, identity: id, result: {} as RunResult, load: [] },
});

describe('which shard files make one whole run', () => {
  it('accepts every index once, in any order', () => {
    expect(checkShardSet([shard('c', identity(2)), shard('a', identity(0)), shard('b', identity(1))])).toEqual([]);
  });

  it('names the missing shards and the ones it has', () => {
    expect(checkShardSet([shard('a', identity(0)), shard('c', identity(2))])).toEqual([
      { kind: 'missing', message: 'missing shard 1/3 (have 0/3, 2/3); a part is not judged as the whole' },
    ]);
    expect(checkShardSet([])[0].kind).toBe('missing');
  });

  it('refuses duplicates, other specs, plans, counts, versions and formats, naming the files', () => {
    expect(checkShardSet([shard('a', identity(0)), shard('a2', identity(0)), shard('b', identity(1)), shard('c', identity(2))])).toEqual([
      { kind: 'duplicate', message: 'shard 0/3 is given twice: a and a2' },
    ]);
    const spec = checkShardSet([shard('a', identity(0)), shard('b', identity(1, { specHash: 'c'.repeat(64) })), shard('c', identity(2))]);
    expect(spec).toHaveLength(1);
    expect(spec[0].message).toBe(`the shards come from different specs (their files differ):\n  spec ${'a'.repeat(12)}: a, c\n  spec ${'c'.repeat(12)}: b`);
    expect(checkShardSet([shard('a', identity(0)), shard('b', identity(1, { planHash: 'd'.repeat(64) })), shard('c', identity(2))])[0].message).toMatch(
      /different plans/,
    );
    expect(checkShardSet([shard('a', identity(0)), shard('b', identity(1, { shard: { index: 1, count: 4 } })), shard('c', identity(2))])[0].message).toMatch(
      /different shard counts/,
    );
    expect(checkShardSet([shard('a', identity(0)), shard('b', identity(1, { version: '0.2.0' })), shard('c', identity(2))])[0].message).toMatch(
      /different perfspec versions:\n {2}perfspec 0.1.0: a, c\n {2}perfspec 0.2.0: b/,
    );
    expect(checkShardSet([shard('a', identity(0), 2), shard('b', identity(1)), shard('c', identity(2))])[0]).toEqual({
      kind: 'format',
      message: 'a: shard file format 2, this perfspec reads format 1',
    });
  });
});
