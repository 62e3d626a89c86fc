/**
 * N shard files → one run result, judged on the merged data only. Every histogram is decoded and
 * added (bucket counts summed), counters are summed, and every figure — percentiles, error rates,
 * throughput, the per-second timeline — is computed again from those sums, exactly as one process
 * that had sent every request would have computed it. Thresholds are judged on the merge alone; a
 * shard's own verdicts are never combined.
 */
import type { ProtocolFault, ProtocolFaultCounts } from '../../sources/http/error-kind.js';
import { PerfspecError } from '../../errors.js';
import { createHistogram, mergeEncoded, percentileMs, summariseHistogram } from '../../metrics/histogram.js';
import { judgeLoadReport } from '../../probes/load/judge.js';
import { presentLoadReport } from '../../probes/load/present.js';
import type { CheckResult, RunResult, SpecResult } from '../../result/result.js';
import { combineStatuses, statusOfProbes } from '../../result/status.js';
import { describeTotals, type Totals } from '../metrics/aggregate.js';
import { parseThresholds } from '../thresholds/parse-thresholds.js';
import type { GeneratorHealth, LoadReport, TimelinePoint } from '../types.js';
import { scopeRows } from '../thresholds/scope-stats.js';
import { addEncoded, decodeTotals, type ShardLoadData } from './shard-data.js';
import type { NamedShard } from './shard-file.js';

/** Spread of shard start times above which the merged timeline is flagged (seconds would not line up). */
const START_SPREAD_NOTE_MS = 1000;

/** Merge a complete, checked set of shards (see checkShardSet) in index order. */
export function mergeShards(shards: NamedShard[], assemble: (specs: SpecResult[], meta: MergeMeta) => RunResult): RunResult {
  const ordered = [...shards].sort((a, b) => a.file.identity.shard.index - b.file.identity.shard.index);
  const count = ordered.length;
  const base = ordered[0].file.result;
  const label = (i: number) => `shard ${i}/${count}`;

  const specs: SpecResult[] = base.specs.map((baseSpec, specIndex) => {
    const errors: string[] = [];
    ordered.forEach((s, i) => {
      for (const error of s.file.result.specs[specIndex]?.errors ?? []) errors.push(`${label(i)}: ${error}`);
    });
    const checks: CheckResult[] = [];
    for (const check of baseSpec.checks) {
      const own = ordered[0].file.load.find((item) => item.spec === specIndex && item.check === check.name);
      if (!own) {
        // Endpoint, query and cache checks ran on shard 0 only: they are taken as they are.
        checks.push(check);
        continue;
      }
      const parts: ShardLoadData[] = [];
      const reports: LoadReport[] = [];
      ordered.forEach((s, i) => {
        const item = s.file.load.find((entry) => entry.spec === specIndex && entry.check === check.name);
        const shardCheck = s.file.result.specs[specIndex]?.checks.find((c) => c.name === check.name);
        if (item) parts.push(item.data);
        if (shardCheck) reports.push(shardCheck.probes.find((p) => p.kind === 'load')?.data as unknown as LoadReport);
        else errors.push(`${label(i)} has no data for "${check.name}" (it did not run that scenario), so it cannot be judged as a whole`);
      });
      if (parts.length !== count) continue;
      const report = mergeLoadReports(reports, parts);
      const meta = own.data.scenario;
      const thresholds = parseThresholds(meta?.thresholds, `${check.name}: thresholds`);
      const weights = new Map(Object.entries(meta?.flowWeights ?? {}));
      // Judged and shown by the load probe's own judge and present, on the merged report.
      const probe = { kind: 'load', verdicts: judgeLoadReport(report, thresholds, check.name), ...presentLoadReport(report, weights) };
      probe.notes.unshift(`Merged from ${count} shards: every figure and verdict is computed from all shards' histograms and counters added together.`);
      const spread = Math.max(...parts.map((p) => p.startedAtEpochMs)) - Math.min(...parts.map((p) => p.startedAtEpochMs));
      const firstStart = Math.min(...parts.map((p) => p.startedAtEpochMs));
      parts.forEach((p, i) => {
        if (p.startedAtEpochMs - firstStart > START_SPREAD_NOTE_MS && p.readyAtEpochMs >= p.startedAtEpochMs - START_SPREAD_NOTE_MS) {
          probe.notes.push(
            `${label(i)} started ${((p.startedAtEpochMs - firstStart) / 1000).toFixed(1)} s after the first: it was not ready sooner (give --start-at more lead time).`,
          );
        }
      });
      if (spread > START_SPREAD_NOTE_MS) {
        probe.notes.push(
          `The shards started up to ${(spread / 1000).toFixed(1)} s apart (no --start-at, or a shard was late): each shard's seconds are counted from its own start, so the timeline's seconds do not line up exactly. Totals and percentiles are unaffected.`,
        );
      }
      if (meta?.description) probe.notes.unshift(meta.description);
      checks.push({
        name: check.name,
        section: check.section,
        request: meta?.request ?? check.request,
        status: statusOfProbes([probe]),
        durationMs: Math.max(...ordered.map((s) => s.file.result.specs[specIndex]?.checks.find((c) => c.name === check.name)?.durationMs ?? 0)),
        probes: [probe],
      });
    }
    return { file: baseSpec.file, name: baseSpec.name, status: errors.length > 0 ? 'error' : combineStatuses(checks.map((c) => c.status)), checks, errors };
  });

  const results = ordered.map((s) => s.file.result);
  return assemble(specs, {
    runId: base.runId,
    startedAt: new Date(Math.min(...results.map((r) => Date.parse(r.startedAt)))),
    finishedAt: new Date(Math.max(...results.map((r) => Date.parse(r.finishedAt)))),
    durationMs: Math.max(...results.map((r) => r.durationMs)),
    aborted: results.some((r) => r.aborted),
    version: base.tool.version,
  });
}

export interface MergeMeta {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  aborted: boolean;
  version: string;
}

/** One scenario's shard data (index order) → the LoadReport one process would have produced. */
export function mergeLoadReports(
  shardReports: Array<Pick<LoadReport, 'scenario' | 'executor' | 'profile' | 'workers' | 'plannedMs' | 'stoppedEarly'>>,
  parts: ShardLoadData[],
): LoadReport {
  const shape = shardReports[0];
  const stoppedAt = shardReports.findIndex((r) => r.stoppedEarly);
  const stoppedEarly =
    stoppedAt < 0
      ? undefined
      : { ...shardReports[stoppedAt].stoppedEarly!, reason: `shard ${stoppedAt}/${parts.length}: ${shardReports[stoppedAt].stoppedEarly!.reason}` };
  const entryCount = parts[0].entries.length;
  for (const [i, part] of parts.entries()) {
    const same =
      part.entries.length === entryCount &&
      part.entries.every((e, j) => e.name === parts[0].entries[j].name && e.flow === parts[0].entries[j].flow && e.region === parts[0].entries[j].region);
    if (!same)
      throw new PerfspecError('PS_USAGE', `shard ${i}/${parts.length} measured different requests than shard 0 for scenario "${shape.scenario}"`, {
        hint: 'Merge only shards of one spec and one perfspec version.',
      });
  }
  const entries = parts[0].entries.map((entry, j) => ({ entry, totals: decodeTotals(parts.map((p) => p.entries[j])) }));
  const measuredMs = Math.max(...parts.map((p) => p.measuredMs));
  const where = (match: (e: { name: string; flow: string; region?: string }) => boolean): Totals => decodeTotals(parts.flatMap((p) => p.entries.filter(match)));

  const names = [...new Set(entries.map((e) => e.entry.name))];
  const flows = [...new Set(entries.map((e) => e.entry.flow))];
  const regions = [...new Set(entries.map((e) => e.entry.region).filter((r): r is string => r !== undefined))];
  const rows = scopeRows(where, measuredMs, names, flows);
  const uncorrected = createHistogram();
  for (const p of parts) if (p.uncorrected) mergeEncoded(uncorrected, p.uncorrected);

  const timeline = mergeTimeline(parts);
  const iterations = { started: 0, completed: 0, dropped: 0, late: 0 };
  const protocolErrors: ProtocolFaultCounts = {};
  for (const p of parts)
    for (const [fault, n] of Object.entries(p.protocolErrors ?? {}) as Array<[ProtocolFault, number]>) protocolErrors[fault] = (protocolErrors[fault] ?? 0) + n;
  for (const p of parts) for (const key of Object.keys(iterations) as Array<keyof typeof iterations>) iterations[key] += p.iterations[key];
  // Fixed-iteration executors: the shards' planned shares add up to the plan's total.
  const planned = parts.some((p) => p.iterations.planned !== undefined) ? parts.reduce((sum, p) => sum + (p.iterations.planned ?? 0), 0) : undefined;

  return {
    scenario: shape.scenario,
    executor: shape.executor,
    profile: shape.profile,
    workers: shape.workers * parts.length,
    plannedMs: shape.plannedMs,
    elapsedMs: Math.max(...parts.map((p) => p.elapsedMs)),
    aborted: stoppedEarly?.by === 'signal',
    stoppedEarly,
    overall: rows.overall,
    ...(Object.keys(protocolErrors).length > 0 ? { protocolErrors } : {}),
    ...(parts.some((p) => p.bodiesOverMaxBodySize) ? { bodiesOverMaxBodySize: parts.reduce((sum, p) => sum + (p.bodiesOverMaxBodySize ?? 0), 0) } : {}),
    uncorrected: summariseHistogram(uncorrected),
    requests: rows.requests,
    flows: rows.flows,
    regions:
      regions.length > 1
        ? regions.map((region) =>
            describeTotals(
              where((e) => e.region === region),
              measuredMs,
              { name: '', region },
            ),
          )
        : [],
    iterations: { ...iterations, ...(planned !== undefined ? { planned } : {}) },
    peakUsers: Math.max(0, ...timeline.map((p) => p.users)),
    timeline,
    health: mergeHealth(parts.map((p) => p.health)),
  };
}

/** Seconds of all shards added together, second by second (the same instants with --start-at). */
function mergeTimeline(parts: ShardLoadData[]): TimelinePoint[] {
  const bySecond = new Map<number, { totals: Totals; users: number; dropped: number; late: number; lagMs: number }>();
  for (const part of parts) {
    for (const second of part.seconds) {
      let slot = bySecond.get(second.seq);
      if (!slot) {
        slot = { totals: decodeTotals([]), users: 0, dropped: 0, late: 0, lagMs: 0 };
        bySecond.set(second.seq, slot);
      }
      addEncoded(slot.totals, second.totals);
      slot.users += second.users;
      slot.dropped += second.dropped;
      slot.late += second.late ?? 0;
      slot.lagMs = Math.max(slot.lagMs, second.lagMs ?? 0);
    }
  }
  return [...bySecond.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([seq, slot]) => ({
      second: seq,
      requests: slot.totals.requests,
      errors: slot.totals.errors,
      p50: percentileMs(slot.totals.histogram, 50),
      p95: percentileMs(slot.totals.histogram, 95),
      p99: percentileMs(slot.totals.histogram, 99),
      users: slot.users,
      dropped: slot.dropped,
      late: slot.late,
      lagMs: Math.round(slot.lagMs * 10) / 10,
      // Shard files carry each second's totals, not per request name.
      byName: {},
    }));
}

/** The merge is trustworthy only if every shard's generator was; figures are the worst shard's. */
function mergeHealth(all: GeneratorHealth[]): GeneratorHealth {
  return {
    trustworthy: all.every((h) => h.trustworthy),
    reasons: all.flatMap((h, i) => h.reasons.map((reason) => `shard ${i}/${all.length}: ${reason}`)),
    eventLoopDelayP99Ms: Math.max(...all.map((h) => h.eventLoopDelayP99Ms)),
    eventLoopUtilization: Math.max(...all.map((h) => h.eventLoopUtilization)),
    cpuCores: Math.max(...all.map((h) => h.cpuCores)),
  };
}
