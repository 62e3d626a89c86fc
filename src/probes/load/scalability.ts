/**
 * The seed's scalability scenario (`profile: scalability`): the breakpoint search run once per
 * replica count k = 1, 2, … N, with requests spread round robin over the first k replicas and the
 * rate searched up to k × the per-replica peak in the same steps. Per k it reports the highest
 * throughput that met the SLA, and the scaling efficiency T(k) ÷ (k · T(1)): 1.00 is linear
 * scaling, lower means the replicas share a bottleneck (a database, a lock, a cache).
 */
import { PerfspecError } from '../../errors.js';
import { prepareScenario, runPrepared, type PreparedScenario } from '../../load/run/run-load.js';
import type { LoadReport, LoadRuntime, LoadScenarioConfig } from '../../load/types.js';
import type { ReportTable } from '../../result/result.js';
import { formatDuration } from '../../units/duration.js';
import { formatPercent, formatRate } from '../../units/quantity.js';
import type { ProbePresentation } from '../types.js';

export const DEFAULT_MIN_EFFICIENCY = 0.8;

export interface ScalabilityPoint {
  replicas: number;
  /** Highest step rate whose SLA held (arrivals per second), or null. */
  highestPassingRate: number | null;
  /** Successful requests per second measured over that step, or null. */
  throughput: number | null;
  brokeAtRate: number | null;
  /** throughput ÷ (replicas × throughput at 1 replica); null without both. */
  efficiency: number | null;
}

/** Which replica counts to search: the spec's list (1 always included) or 1 … all replicas. Pure. */
export function replicaCountsFor(config: LoadScenarioConfig, available: number): number[] {
  const where = `load scenario "${config.name}" (profile scalability)`;
  if (available < 1) {
    throw new PerfspecError('PS_SPEC_INVALID', `${where} needs replicas of the target`, {
      hint: 'Give target.start.replicas: 4 (perfspec starts them) or target.replicas: [url, …].',
    });
  }
  const counts = config.replicaCounts ? [...new Set([1, ...config.replicaCounts])].sort((a, b) => a - b) : Array.from({ length: available }, (_, i) => i + 1);
  const beyond = counts.filter((k) => k > available);
  if (beyond.length > 0) {
    throw new PerfspecError('PS_SPEC_INVALID', `${where}: replicaCounts asks for ${beyond.join(', ')} replicas but the target has ${available}`, {
      hint: `Raise target.start.replicas to ${Math.max(...beyond)}, or list more target.replicas.`,
    });
  }
  return counts;
}

/** The breakpoint scenario for k replicas: rate × k, regions = the first k replicas, picked per iteration. */
export function configForReplicas(config: LoadScenarioConfig, replicas: string[], k: number, peakPerReplica: number): LoadScenarioConfig {
  if (config.regions && config.regions.length > 0) {
    throw new PerfspecError('PS_SPEC_INVALID', `load scenario "${config.name}": profile scalability spreads requests over the replicas itself; remove regions`);
  }
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the scalability keys are this module's, not the breakpoint's
  const { replicaCounts, minEfficiency, ...rest } = config;
  return {
    ...rest,
    profile: 'breakpoint',
    rate: peakPerReplica * k,
    regions: replicas.slice(0, k).map((baseUrl, i) => ({ name: `replica ${i + 1}`, baseUrl })),
    regionPerIteration: true,
  };
}

/** Efficiency of each point relative to the one-replica throughput. Pure. */
export function scalingEfficiency(points: Array<Omit<ScalabilityPoint, 'efficiency'>>): ScalabilityPoint[] {
  const one = points.find((p) => p.replicas === 1)?.throughput ?? null;
  return points.map((p) => ({ ...p, efficiency: one && p.throughput !== null ? p.throughput / (p.replicas * one) : null }));
}

export function pointFromReport(replicas: number, report: LoadReport): Omit<ScalabilityPoint, 'efficiency'> {
  const bp = report.breakpoint;
  const passing = bp?.steps.filter((s) => s.passed) ?? [];
  const best = passing.reduce<(typeof passing)[number] | undefined>((a, s) => (a === undefined || s.rate > a.rate ? s : a), undefined);
  return { replicas, highestPassingRate: bp?.highestPassingRate ?? null, throughput: best?.throughput ?? null, brokeAtRate: bp?.brokeAtRate ?? null };
}

export async function runScalability(
  scenario: PreparedScenario,
  replicas: string[],
  runtime: LoadRuntime & { baseUrl: string },
  progress: { info(message: string): void },
): Promise<{ points: ScalabilityPoint[]; reports: LoadReport[] }> {
  const counts = replicaCountsFor(scenario.config, replicas.length);
  const peak = scenario.plan.peak;
  // Prepare every replica count before sending anything, so a bad spec fails before the first step.
  const prepared = counts.map((k) => prepareScenario(configForReplicas(scenario.config, replicas, k, peak), runtime));
  const reports: LoadReport[] = [];
  const raw: Array<Omit<ScalabilityPoint, 'efficiency'>> = [];
  for (const [i, k] of counts.entries()) {
    if (runtime.signal?.aborted) break;
    progress.info(`${scenario.plan.name}: ${k} replica${k > 1 ? 's' : ''}, arrival rate up to ${formatRate(peak * k)}`);
    const report = await runPrepared(prepared[i], runtime);
    reports.push(report);
    raw.push(pointFromReport(k, report));
  }
  return { points: scalingEfficiency(raw), reports };
}

/** The search's figures as reports show them (judgeScalability in judge.ts judges them). Pure. */
export function presentScalability(points: ScalabilityPoint[], reports: LoadReport[]): ProbePresentation {
  const one = points.find((p) => p.replicas === 1);
  const cell = (v: number | null) => (v === null ? '–' : formatRate(v));
  const tables: ReportTable[] = [
    {
      title: 'Scalability: highest throughput meeting the SLA per replica count',
      columns: ['Replicas', 'Highest rate meeting the SLA', 'Throughput', 'Broke at', 'Efficiency'],
      rows: points.map((p) => [
        String(p.replicas),
        cell(p.highestPassingRate),
        cell(p.throughput),
        p.brokeAtRate === null ? 'never' : formatRate(p.brokeAtRate),
        p.efficiency === null ? '–' : p.efficiency.toFixed(2),
      ]),
    },
    {
      title: 'Scalability steps',
      columns: ['Replicas', 'Rate', 'SLA', 'Throughput', 'p95', 'Error rate'],
      rows: reports.flatMap((r, i) =>
        (r.breakpoint?.steps ?? []).map((s) => [
          String(points[i].replicas),
          formatRate(s.rate),
          s.passed ? 'met' : 'broken',
          s.throughput === undefined ? '–' : formatRate(s.throughput),
          s.p95 === null ? '–' : formatDuration(s.p95),
          formatPercent(Math.round(s.errorRate * 100) / 100),
        ]),
      ),
    },
  ];
  const base = one?.throughput ?? 0;
  return {
    tables,
    series: [
      { title: 'Throughput meeting the SLA, by replicas (x: replicas)', unit: 'req/s', points: points.map((p) => [p.replicas, p.throughput ?? 0]) },
      { title: 'Linear scaling from one replica (x: replicas)', unit: 'req/s', points: points.map((p) => [p.replicas, p.replicas * base]) },
    ],
    notes: [
      'Each replica count is a breakpoint search: the arrival rate rises in steps up to replicas × the per-replica peak, requests spread round robin over the replicas, and the SLA (the overall error-level thresholds) is judged per step.',
    ],
    data: { scalability: points, reports } as unknown as Record<string, unknown>,
  };
}
