/**
 * The `redis` service (`services.redis: {url}`): one command connection to the Redis the
 * application uses, opened once per spec run, and access to the Redis sources for the cache probe.
 * close() stops every hit counter still running (restoring notify-keyspace-events) and closes
 * the connection; it is idempotent and the engine calls it on every exit path, aborts included.
 */
import type { Redis } from 'ioredis';
import { PerfspecError } from '../../errors.js';
import type { ServiceHandle, ServiceKind } from '../../probes/types.js';
import { isLocalHost, localProcess } from '../../metrics/local-server.js';
import { closeRedis, connectRedis, parseRedisUrl, type RedisEndpoint } from './connect.js';
import { toByteString } from './glob.js';
import { startHitCounter, type HitCounter, type HitCounterOptions } from './hit-counter.js';
import { measureHitLatency, type HitLatency, type HitLatencyOptions } from './hit-latency.js';
import { analyzeKeyspace, scanKeys, type AnalysisOptions, type KeyspaceAnalysis } from './keyspace.js';

export interface RedisServiceHandle extends ServiceHandle {
  readonly endpoint: RedisEndpoint;
  readonly client: Redis;
  /** Start counting per-pattern hits (patterns as written, text). */
  startHitCounter(options: Omit<HitCounterOptions, 'patterns'> & { patterns: string[] }): Promise<HitCounter>;
  /** Keys, TTLs and memory of a pattern (text). Outside any counting window. */
  analyze(pattern: string, options?: AnalysisOptions): Promise<KeyspaceAnalysis>;
  /** GET round trips on keys (byte strings from analyze()). Outside any counting window. */
  measureHitLatency(keys: readonly string[], options?: HitLatencyOptions): Promise<HitLatency | null>;
  /** UNLINK every key of a pattern; only for specs that opt in (it empties the application's cache). */
  deleteKeys(pattern: string): Promise<number>;
}

export const redisService: ServiceKind = {
  name: 'redis',
  async open(config) {
    if (typeof config.url !== 'string') {
      throw new PerfspecError('PS_SPEC_INVALID', 'services.redis.url is required', { hint: 'e.g. services: { redis: { url: "redis://127.0.0.1:6379/0" } }' });
    }
    return openRedisService(config.url);
  },
};

export async function openRedisService(url: string): Promise<RedisServiceHandle> {
  const endpoint = parseRedisUrl(url);
  const client = await connectRedis(endpoint, { name: 'perfspec' });
  const counters = new Set<HitCounter>();
  let closing: Promise<void> | undefined;

  return {
    endpoint,
    client,
    async startHitCounter(options) {
      const counter = await startHitCounter(client, endpoint, options);
      counters.add(counter);
      return {
        source: counter.source,
        stop: () => counter.stop().finally(() => counters.delete(counter)),
        close: () => counter.close().finally(() => counters.delete(counter)),
        broken: () => counter.broken(),
      };
    },
    async serverPids() {
      if (!isLocalHost(endpoint.host)) return [];
      const info = await client.info('server').catch(() => '');
      const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
      const server = Number.isInteger(pid) ? localProcess(pid, 'redis') : undefined;
      return server ? [server.pid] : [];
    },
    analyze: (pattern, options) => analyzeKeyspace(client, toByteString(pattern), options),
    measureHitLatency: (keys, options) => measureHitLatency(client, keys, options),
    async deleteKeys(pattern) {
      const { keys } = await scanKeys(client, toByteString(pattern));
      for (let i = 0; i < keys.length; i += 500) {
        await client.unlink(...keys.slice(i, i + 500).map((key) => Buffer.from(key, 'latin1')));
      }
      return keys.length;
    },
    close() {
      closing ??= (async () => {
        await Promise.all([...counters].map((counter) => counter.close().catch(() => undefined)));
        counters.clear();
        await closeRedis(client);
      })();
      return closing;
    },
  };
}
