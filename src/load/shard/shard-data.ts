/**
 * What one shard keeps of a load scenario so that N shards can be merged exactly: every histogram
 * in HdrHistogram's compressed form (per stats entry — request name × flow × region — and per
 * second of the run), beside integer counters. Adding decoded histograms sums bucket counts, so
 * any percentile of the merge is the percentile of all values recorded by all shards together,
 * never an average of shard percentiles.
 */
import { encodeHistogram, mergeEncoded } from '../../metrics/histogram.js';
import type { StatEntry } from '../flows/compile-flows.js';
import { createTotals, type LoadAggregate, type SecondBucket, type Totals } from '../metrics/aggregate.js';
import type { EncodedEntry, EncodedSecond, EncodedTotals, ErrorKind, LoadReport, ScenarioShardMeta, ShardLoadData } from '../types.js';

// The shapes live in load/types.ts beside LoadReport, which carries them (no import cycle).
export type { EncodedEntry, EncodedSecond, EncodedTotals, ScenarioShardMeta, ShardLoadData };

export function encodeTotals(totals: Totals): EncodedTotals {
  return {
    requests: totals.requests,
    errors: totals.errors,
    histogram: totals.histogram.totalCount > 0 ? encodeHistogram(totals.histogram) : undefined,
    statusCodes: { ...totals.statusCodes },
    errorKinds: { ...totals.errorKinds },
  };
}

export function encodeSecond(bucket: SecondBucket): EncodedSecond {
  return { seq: bucket.seq, users: bucket.users, dropped: bucket.dropped, late: bucket.late, lagMs: bucket.lagMs, totals: encodeTotals(bucket.totals) };
}

/** Add encoded totals into decoded ones (counters summed, histogram buckets summed). */
export function addEncoded(into: Totals, from: EncodedTotals): void {
  into.requests += from.requests;
  into.errors += from.errors;
  if (from.histogram) mergeEncoded(into.histogram, from.histogram);
  for (const [key, n] of Object.entries(from.statusCodes)) into.statusCodes[key] = (into.statusCodes[key] ?? 0) + n;
  for (const [key, n] of Object.entries(from.errorKinds) as Array<[ErrorKind, number]>) into.errorKinds[key] = (into.errorKinds[key] ?? 0) + n;
}

export function decodeTotals(parts: EncodedTotals[]): Totals {
  const totals = createTotals();
  for (const part of parts) addEncoded(totals, part);
  return totals;
}

/** Everything a shard must hand on, from the coordinator's aggregate at the end of its run. */
export function encodeShardLoad(
  aggregate: LoadAggregate,
  entries: StatEntry[],
  seconds: EncodedSecond[],
  report: Pick<LoadReport, 'iterations' | 'elapsedMs' | 'health' | 'protocolErrors' | 'bodiesOverMaxBodySize'> & {
    measuredMs: number;
    startedAtEpochMs: number;
    readyAtEpochMs: number;
  },
): ShardLoadData {
  return {
    entries: entries.map((entry, i) => ({ name: entry.name, flow: entry.flow, region: entry.region, ...encodeTotals(aggregate.perEntry[i]) })),
    uncorrected: aggregate.uncorrected.totalCount > 0 ? encodeHistogram(aggregate.uncorrected) : undefined,
    seconds,
    iterations: { ...report.iterations },
    startedAtEpochMs: report.startedAtEpochMs,
    readyAtEpochMs: report.readyAtEpochMs,
    elapsedMs: report.elapsedMs,
    measuredMs: report.measuredMs,
    health: report.health,
    ...(report.protocolErrors ? { protocolErrors: { ...report.protocolErrors } } : {}),
    ...(report.bodiesOverMaxBodySize ? { bodiesOverMaxBodySize: report.bodiesOverMaxBodySize } : {}),
  };
}
