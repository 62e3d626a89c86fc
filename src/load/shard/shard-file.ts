/**
 * The file one shard hands on to `perfspec merge`: its identity (which specs, which plan, which
 * shard of how many, which perfspec), its run result as its own report shows it, and beside it
 * the encoded data of every load scenario. Pure: building, checking and pairing shard files; the
 * CLI reads and writes them.
 */
import { createHash } from 'node:crypto';
import type { RunResult } from '../../result/result.js';
import type { ShardId } from './segments.js';
import type { ShardLoadData } from './shard-data.js';

export const SHARD_FILE_KIND = 'perfspec-shard';
export const SHARD_FORMAT_VERSION = 1;

export interface ShardIdentity {
  /** perfspec version that ran the shard: merging across versions could mix different encodings. */
  version: string;
  /** sha256 over the spec files' text. */
  specHash: string;
  /** sha256 over the planned scenarios (shapes, executors, thresholds) and the --profile selection. */
  planHash: string;
  shard: ShardId;
  /** Spec names, for messages. */
  specs: string[];
}

export interface ShardLoadItem {
  /** Index of the spec in result.specs. */
  spec: number;
  /** The load check's name ("Load: quick"). */
  check: string;
  data: ShardLoadData;
}

export interface ShardFile {
  kind: typeof SHARD_FILE_KIND;
  formatVersion: number;
  identity: ShardIdentity;
  result: RunResult;
  load: ShardLoadItem[];
}

export function sha256(parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part.length}:${part}`);
  return hash.digest('hex');
}

/** The shard file's name in the output directory: unique per shard, so artifacts never collide. */
export function shardFileName(shard: ShardId): string {
  return `perfspec-shard-${shard.index}-of-${shard.count}.json`;
}

/**
 * Move every load scenario's encoded data out of the result (reports stay small and readable) into
 * the items the shard file carries beside it.
 */
export function extractShardData(result: RunResult): ShardLoadItem[] {
  const items: ShardLoadItem[] = [];
  result.specs.forEach((spec, specIndex) => {
    for (const check of spec.checks) {
      for (const probe of check.probes) {
        const data = probe.data as { shardData?: ShardLoadData };
        if (!data.shardData) continue;
        items.push({ spec: specIndex, check: check.name, data: data.shardData });
        delete data.shardData;
      }
    }
  });
  return items;
}

export function buildShardFile(identity: ShardIdentity, result: RunResult, load: ShardLoadItem[]): ShardFile {
  return { kind: SHARD_FILE_KIND, formatVersion: SHARD_FORMAT_VERSION, identity, result, load };
}

export function isShardFile(value: unknown): value is ShardFile {
  const v = value as Partial<ShardFile> | null;
  return Boolean(v && typeof v === 'object' && v.kind === SHARD_FILE_KIND && v.identity && v.result && Array.isArray(v.load));
}

export interface NamedShard {
  /** Where it came from, for messages. */
  source: string;
  file: ShardFile;
}

export type ShardSetProblem = { kind: 'mismatch' | 'missing' | 'duplicate' | 'format'; message: string };

/**
 * Do these files make one whole run? Same format, perfspec version, specs, plan and shard count,
 * each index exactly once. Returns every problem found (an empty list: they do).
 */
export function checkShardSet(shards: NamedShard[]): ShardSetProblem[] {
  const problems: ShardSetProblem[] = [];
  if (shards.length === 0) return [{ kind: 'missing', message: 'no shard files found' }];
  for (const s of shards) {
    if (s.file.formatVersion !== SHARD_FORMAT_VERSION) {
      problems.push({ kind: 'format', message: `${s.source}: shard file format ${s.file.formatVersion}, this perfspec reads format ${SHARD_FORMAT_VERSION}` });
    }
  }
  const first = shards[0];
  const same = (label: string, pick: (id: ShardIdentity) => string, explain: string) => {
    const values = new Map<string, string[]>();
    for (const s of shards) values.set(pick(s.file.identity), [...(values.get(pick(s.file.identity)) ?? []), s.source]);
    if (values.size > 1) {
      const groups = [...values.entries()].map(([value, sources]) => `${label} ${value}: ${sources.join(', ')}`);
      problems.push({ kind: 'mismatch', message: `the shards come from different ${explain}:\n  ${groups.join('\n  ')}` });
    }
  };
  same('perfspec', (id) => id.version, 'perfspec versions');
  same('spec', (id) => id.specHash.slice(0, 12), 'specs (their files differ)');
  same('plan', (id) => id.planHash.slice(0, 12), 'plans (scenarios, --profile or thresholds differ)');
  same('count', (id) => String(id.shard.count), 'shard counts');
  if (problems.length > 0) return problems;

  const count = first.file.identity.shard.count;
  const seen = new Map<number, string>();
  for (const s of shards) {
    const index = s.file.identity.shard.index;
    const earlier = seen.get(index);
    if (earlier !== undefined) problems.push({ kind: 'duplicate', message: `shard ${index}/${count} is given twice: ${earlier} and ${s.source}` });
    else seen.set(index, s.source);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    problems.push({
      kind: 'missing',
      message: `missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} (have ${[...seen.keys()]
        .sort((a, b) => a - b)
        .map((i) => `${i}/${count}`)
        .join(', ')}); a part is not judged as the whole`,
    });
  }
  return problems;
}
