/**
 * The `cache` key of a check, normalised. Pure. The schema has already validated the shapes and
 * the budget formats; this turns them into parsed budgets and defaults.
 *
 *   cache:
 *     keys: "user:*"            # the cache's key pattern (Redis SCAN MATCH glob)
 *     ttl: "5m ±5%"             # expected TTL with tolerance
 *     hitRate: ">= 75%"         # per-pattern hit rate during the traffic window
 *     hitLatency: "< 2ms"       # p95 of Redis GET round trips on the pattern's keys
 *     memory: "< 10MB"          # total memory of the pattern's keys
 *     requests: 100             # the check's request, repeated in the window
 *     params: [{user_id: 1}, {user_id: 2}]   # cycled; each map overrides ${vars.*} and fills ${params.*}
 *     cold: { flush: true }     # perfspec may delete the pattern's keys (cold start, cold latency)
 */
import { PerfspecError } from '../../errors.js';
import { parseBudget, parseTolerance, type Budget, type BudgetUnit, type ToleranceBudget } from '../../units/budget.js';
import type { CacheBudget } from '../../generated/spec-types.js';
import type { SectionPlace } from '../types.js';

export interface CacheConfig {
  pattern: string;
  ttl?: ToleranceBudget;
  hitRate?: Budget;
  hitLatency?: Budget;
  memory?: Budget;
  requests: number;
  /** Variable maps cycled over the requests; one empty map when none are given. */
  params: Array<Record<string, string>>;
  /** The spec allows perfspec to delete the pattern's keys. */
  flush: boolean;
  level: 'error' | 'warn';
}

export const DEFAULT_CACHE_REQUESTS = 100;

/** A check's `cache` section, as the schema types it, → the probe's config. Throws PerfspecError with the section's path. */
export function readCacheConfig(raw: CacheBudget, at: SectionPlace): CacheConfig {
  const where = `checks[${at.index}].cache`;
  if (typeof raw.keys !== 'string' || raw.keys === '') {
    throw new PerfspecError('PS_SPEC_INVALID', `${where}.keys is required: the key pattern of the cache, e.g. "sso:config:*"`);
  }
  const budget = (name: 'hitRate' | 'hitLatency' | 'memory', unit: BudgetUnit): Budget | undefined => {
    const text = raw[name];
    if (text === undefined) return undefined;
    const parsed = parseBudget(String(text), unit);
    if (!parsed) throw new PerfspecError('PS_SPEC_INVALID', `${where}.${name}: ${JSON.stringify(text)} is not a ${unit} budget`);
    return parsed;
  };
  let ttl: ToleranceBudget | undefined;
  if (raw.ttl !== undefined) {
    ttl = parseTolerance(String(raw.ttl));
    if (!ttl) throw new PerfspecError('PS_SPEC_INVALID', `${where}.ttl: ${JSON.stringify(raw.ttl)} is not a TTL like "15m ±5%"`);
  }
  const params =
    Array.isArray(raw.params) && raw.params.length > 0
      ? raw.params.map((entry) => Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, String(v)])))
      : [{}];
  return {
    pattern: raw.keys,
    ttl,
    hitRate: budget('hitRate', 'percent'),
    hitLatency: budget('hitLatency', 'duration'),
    memory: budget('memory', 'bytes'),
    requests: typeof raw.requests === 'number' ? raw.requests : DEFAULT_CACHE_REQUESTS,
    params,
    flush: raw.cold?.flush === true,
    level: at.level ?? 'error',
  };
}

/** The scope for one request: a param overrides `${vars.NAME}` and fills `${params.NAME}`. */
export function scopeForParams(params: Record<string, string>): Record<string, string> {
  const scope: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    scope[name] = value;
    scope[`params.${name}`] = value;
  }
  return scope;
}
