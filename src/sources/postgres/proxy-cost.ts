/**
 * What perfspec's query proxy adds to the latencies it sits under, measured during the run: a
 * trivial statement (`SELECT 1`) sent alternately over a direct connection and through the proxy, in
 * interleaved pairs (the order flips every pair, so background load hits both paths alike); the
 * difference of the medians is the added time per statement on this machine, now. A latency check
 * then knows how many statements each of its requests sent through the proxy, and the report shows
 * the estimate of what the proxy added to it: statements × added time per statement.
 *
 * The calibration connections name themselves (PROXY_CALIBRATION_APPLICATION) and the proxy forwards
 * them without counting: they are never in a window, the counters or the statement totals.
 */
import { performance } from 'node:perf_hooks';
import { formatDuration } from '../../units/duration.js';
import { connectPostgres } from './connect.js';

export const PROXY_CALIBRATION_APPLICATION = 'perfspec (proxy calibration)';

export interface ProxyCost {
  /** Median time through the proxy minus median time direct, per statement (never below 0). */
  addedMsPerStatement: number;
  directMedianMs: number;
  proxiedMedianMs: number;
  pairs: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The added time from paired round-trip times (pure). */
export function proxyCostFromSamples(direct: number[], proxied: number[]): ProxyCost {
  const directMedianMs = median(direct);
  const proxiedMedianMs = median(proxied);
  return {
    addedMsPerStatement: Math.max(0, proxiedMedianMs - directMedianMs),
    directMedianMs,
    proxiedMedianMs,
    pairs: Math.min(direct.length, proxied.length),
  };
}

/** Measure now; undefined when either connection cannot be opened (the note is then left out). */
export async function measureProxyCost(directUrl: string, proxyUrl: string, pairs = 60): Promise<ProxyCost | undefined> {
  const open = (url: string) => connectPostgres(url, { applicationName: PROXY_CALIBRATION_APPLICATION, timeoutMs: 3000 }).catch(() => undefined);
  const [direct, proxied] = await Promise.all([open(directUrl), open(proxyUrl)]);
  try {
    if (!direct || !proxied) return undefined;
    const time = async (client: typeof direct) => {
      const started = performance.now();
      await client.query('SELECT 1');
      return performance.now() - started;
    };
    for (let k = 0; k < 5; k++) {
      await time(direct);
      await time(proxied);
    }
    const samples = { direct: [] as number[], proxied: [] as number[] };
    for (let k = 0; k < pairs; k++) {
      if (k % 2 === 0) {
        samples.direct.push(await time(direct));
        samples.proxied.push(await time(proxied));
      } else {
        samples.proxied.push(await time(proxied));
        samples.direct.push(await time(direct));
      }
    }
    return proxyCostFromSamples(samples.direct, samples.proxied);
  } catch {
    return undefined;
  } finally {
    await Promise.all([direct?.end().catch(() => undefined), proxied?.end().catch(() => undefined)]);
  }
}

/** The report's line for one latency check (pure). */
export function describeProxyCost(cost: ProxyCost, statementsPerRequest: number): string {
  const estimate = statementsPerRequest * cost.addedMsPerStatement;
  return (
    `Query proxy: ${formatCount(statementsPerRequest)} statement(s) per request went through perfspec's PostgreSQL proxy, which added ` +
    `${formatDuration(cost.addedMsPerStatement)} per statement when measured after this check (SELECT 1 direct ${formatDuration(cost.directMedianMs)}, ` +
    `through the proxy ${formatDuration(cost.proxiedMedianMs)}, medians of ${cost.pairs} interleaved pairs): about ${formatDuration(estimate)} ` +
    `of each latency above is the proxy's.`
  );
}

const formatCount = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
