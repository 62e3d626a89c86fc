/**
 * The cache probe through the real CLI and engine, against the reference API on real PostgreSQL
 * and Redis (db 12): optimized passes with the TTLs it writes, naive fails for the right reasons.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { startReferenceApi, type ReferenceApi } from '../helpers/reference-api.js';
import { appClient, readNotifyFlags, testEndpoint } from '../fixtures/redis/env.js';
import { ExitCode } from '../../src/errors.js';
import { freePort } from '../helpers/free-port.js';

interface Verdict {
  check: string;
  metric: string;
  passed: boolean;
  outcome: string;
  level: string;
  actual: string;
  actualValue: number | null;
  message: string;
}

const endpoint = testEndpoint(12);
const redisUrl = endpoint.display;
let redis: Redis;
let flagsBefore: string;

beforeAll(async () => {
  redis = appClient(12);
  await redis.flushdb();
  flagsBefore = await readNotifyFlags(redis);
});

afterAll(async () => {
  await redis.flushdb();
  redis.disconnect();
});

async function runCacheSpec(api: ReferenceApi) {
  const out = await mkdtemp(path.join(os.tmpdir(), 'perfspec-cache-'));
  const outcome = await runCli(['run', 'test/fixtures/redis/cache-checks.yaml', '--out', out, '--reporter', 'json,markdown'], {
    env: { PATH: process.env.PATH, PERFSPEC_BASE_URL: api.url, REDIS_URL: redisUrl },
  });
  const json = JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8'));
  const markdown = await readFile(path.join(out, 'perfspec-report.md'), 'utf8');
  const verdicts: Verdict[] = json.specs[0].checks.flatMap((check: { probes: Array<{ verdicts: Verdict[] }> }) =>
    check.probes.flatMap((probe) => probe.verdicts),
  );
  const find = (check: string, metric: string) => verdicts.find((v) => v.check.startsWith(check) && v.metric === metric)!;
  return { outcome, json, markdown, verdicts, find };
}

describe('cache probe against the reference API', () => {
  it('optimized: every cache target passes; hits are exact; TTLs are the configured ones', async () => {
    const api = await startReferenceApi('optimized', { redisUrl });
    try {
      const { outcome, json, markdown, verdicts, find } = await runCacheSpec(api);
      expect(json.specs[0].errors).toEqual([]);
      const cache = verdicts.filter((v) => v.metric.startsWith('cache.'));
      // Counts pass outright; a hit latency on a loaded machine may be inconclusive (never a false pass or fail).
      expect(
        cache.filter((v) => !v.passed && !(v.metric === 'cache.hitLatency' && v.outcome === 'inconclusive')).map((v) => `${v.check} ${v.metric}: ${v.message}`),
      ).toEqual([]);
      expect(outcome.exitCode).toBe(0);

      // Cold start (keys deleted), then 100 requests over 20 users: exactly 20 misses.
      expect(find('User lookup', 'cache.hitRate')).toMatchObject({ actualValue: 80 });
      expect(find('User lookup', 'cache.hitRate').message).toContain('(80 hits, 20 misses in 100 reads)');
      expect(find('User lookup', 'cache.keys').actualValue).toBe(20);
      // One key per organization / user: 1 miss, 99 hits.
      expect(find('SSO configuration', 'cache.hitRate').actualValue).toBe(99);
      expect(find('RBAC permissions', 'cache.hitRate').actualValue).toBe(99);
      expect(find('Organization settings', 'cache.hitRate').actualValue).toBe(99);
      // The TTLs the application wrote (SET ... EX), seen in the window.
      expect(find('SSO configuration', 'cache.ttl')).toMatchObject({ actualValue: 900_000, passed: true });
      expect(find('Organization settings', 'cache.ttl').actualValue).toBe(600_000);
      expect(find('RBAC permissions', 'cache.ttl').actualValue).toBe(300_000);
      expect(find('User lookup', 'cache.ttl').message).toContain('TTL written by the application, 20 write(s) seen');
      expect(find('User lookup', 'cache.noTtl')).toMatchObject({ passed: true, actualValue: 0 });
      // The hit latency is a p95 with its interval beside it, bracketing the point estimate.
      const hit = find('User lookup', 'cache.hitLatency') as Verdict & { interval: { lower: number; upper: number | null; samples: number } };
      expect(hit.interval.samples).toBe(200);
      expect(hit.interval.lower).toBeLessThanOrEqual(hit.actualValue!);
      expect(hit.interval.upper!).toBeGreaterThanOrEqual(hit.actualValue!);
      expect(hit.actual).toMatch(/^\d+(\.\d+)?ms \(\d+(\.\d+)?–\d+(\.\d+)?ms, n=200\)$/);

      expect(markdown).toContain('Hits on user:*');
      expect(markdown).toContain('80.0%');
      const userProbe = json.specs[0].checks
        .find((c: { name: string }) => c.name === 'User lookup (cached)')
        .probes.find((p: { kind: string }) => p.kind === 'cache');
      expect(userProbe.data.coldWarm.cold.count).toBe(5);
      expect(userProbe.data.hits.source).toBe('monitor+keymiss');
      expect(await readNotifyFlags(redis)).toBe(flagsBefore);
    } finally {
      await api.close();
    }
  });

  it('naive: every cache check fails because nothing is cached (no keys, 0% hits)', async () => {
    await redis.flushdb();
    const api = await startReferenceApi('naive', { redisUrl });
    try {
      const { outcome, find } = await runCacheSpec(api);
      expect(outcome.exitCode).toBe(1);
      for (const check of ['SSO configuration', 'Organization settings', 'RBAC permissions', 'User lookup']) {
        expect(find(check, 'cache.keys')).toMatchObject({ passed: false, actualValue: 0 });
        expect(find(check, 'cache.keys').message).toMatch(/^no key matches .* after \d+ requests: the endpoint does not cache under this pattern$/);
        expect(find(check, 'cache.hitRate')).toMatchObject({ passed: false, actual: '0%', actualValue: 0 });
        expect(find(check, 'cache.hitRate').message).toMatch(/^0 reads of .* in 100 requests, so 0 hits: the endpoint does not read this cache$/);
        expect(find(check, 'cache.ttl')).toMatchObject({ passed: false, actual: 'n/a' });
        expect(find(check, 'cache.hitLatency').message).toMatch(/^no key of .* to time a cache hit on$/);
      }
      expect(await readNotifyFlags(redis)).toBe(flagsBefore);
    } finally {
      await api.close();
    }
  });
});

/** Wait until a condition holds (polling), or fail after `timeoutMs`. */
async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('interrupting a run in the middle of the cache window', () => {
  it('a real perfspec process killed with SIGINT restores notify-keyspace-events and exits 130', async () => {
    await redis.config('SET', 'notify-keyspace-events', 'Kx');
    const before = await readNotifyFlags(redis);
    const api = await startReferenceApi('optimized', { redisUrl });
    const out = await mkdtemp(path.join(os.tmpdir(), 'perfspec-cache-sigint-'));
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/fixtures/redis/cli-main.ts', 'run', 'test/fixtures/redis/slow-cache-check.yaml', '--out', out, '--reporter', 'json'],
        { env: { PATH: process.env.PATH, PERFSPEC_BASE_URL: api.url, REDIS_URL: redisUrl }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // The window is open once perfspec has added E and m to the flags.
      await waitUntil(async () => (await readNotifyFlags(redis)).includes('m'));
      await new Promise((resolve) => setTimeout(resolve, 200)); // well inside the 100 000 requests
      child.kill('SIGINT');
      const code = await exited;
      expect(await readNotifyFlags(redis)).toBe(before);
      expect(stderr).toContain('interrupted');
      expect(code).toBe(ExitCode.Aborted);
    } finally {
      await api.close();
      await redis.config('SET', 'notify-keyspace-events', flagsBefore);
    }
  });

  it('in-process (the engine abort path): services are closed and the setting restored', async () => {
    await redis.config('SET', 'notify-keyspace-events', '');
    const api = await startReferenceApi('optimized', { redisUrl });
    const controller = new AbortController();
    try {
      const running = runCli(
        ['run', 'test/fixtures/redis/slow-cache-check.yaml', '--out', await mkdtemp(path.join(os.tmpdir(), 'perfspec-cache-abort-')), '--reporter', 'json'],
        {
          env: { PATH: process.env.PATH, PERFSPEC_BASE_URL: api.url, REDIS_URL: redisUrl },
          signal: controller.signal,
        },
      );
      await waitUntil(async () => (await readNotifyFlags(redis)) === 'Em');
      controller.abort();
      const outcome = await running;
      expect(await readNotifyFlags(redis)).toBe('');
      expect(outcome.exitCode).toBe(ExitCode.Aborted);
    } finally {
      await api.close();
      await redis.config('SET', 'notify-keyspace-events', flagsBefore);
    }
  });
});

describe('Redis unreachable, wrong db: exit 3 with one clear line', () => {
  it.each([
    ['down', async () => `redis://127.0.0.1:${await freePort()}/0`, /Redis at redis:\/\/127\.0\.0\.1:\d+\/0 refused the connection/],
    ['db out of range', async () => `${endpoint.display.replace(/\/\d+$/, '')}/99`, /has no database 99: ERR DB index is out of range/],
  ])('%s', async (_name, url, message) => {
    const api = await startReferenceApi('optimized', { redisUrl });
    try {
      const out = await mkdtemp(path.join(os.tmpdir(), 'perfspec-cache-down-'));
      const outcome = await runCli(['run', 'test/fixtures/redis/cache-checks.yaml', '--out', out, '--reporter', 'console,json'], {
        env: { PATH: process.env.PATH, PERFSPEC_BASE_URL: api.url, REDIS_URL: await url() },
      });
      expect(outcome.exitCode).toBe(ExitCode.Infrastructure);
      expect(outcome.stdout + outcome.stderr).toMatch(message);
      expect(outcome.stdout + outcome.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    } finally {
      await api.close();
    }
  });
});
