/**
 * A server is left as it was found (issue #10): concurrent perfspec runs on one Redis share
 * notify-keyspace-events through a lease (the last one out restores), a stale record never
 * overwrites an administrator's later setting, and a double Ctrl-C still restores. Ground truth:
 * CONFIG GET on the real server, read by the test's own connection.
 *
 * The server is shared: each test sets its own starting value and the file restores the value it
 * found at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHitCounter } from '../../src/sources/redis/hit-counter.js';
import { connectRedis } from '../../src/sources/redis/connect.js';
import { leaseKey } from '../../src/sources/redis/setting-lease.js';
import { readNotifyFlags, testEndpoint } from '../fixtures/redis/env.js';
import { startReferenceApi } from '../helpers/reference-api.js';

const endpoint = testEndpoint(13);
const PARAMETER = 'notify-keyspace-events';
let admin: Redis;
let found: string;

beforeAll(async () => {
  admin = new Redis({ host: endpoint.host, port: endpoint.port, lazyConnect: false });
  found = await readNotifyFlags(admin);
});
afterAll(async () => {
  await admin.config('SET', PARAMETER, found);
  admin.disconnect();
});

interface Child {
  process: ChildProcess;
  exited: Promise<number | null>;
}

/** A perfspec process holding a hit counter (the setting changed) until signalled. */
async function holdCounter(): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/redis/hold-counter.ts'], {
    env: { ...process.env, REDIS_URL: endpoint.display, MODE: 'wait' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('READY') && resolve());
    child.on('exit', () => reject(new Error('child exited before READY')));
  });
  return { process: child, exited };
}

describe('two perfspec runs on one Redis', () => {
  it('the first to finish leaves the setting for the other; the last one out restores', async () => {
    await admin.config('SET', PARAMETER, 'Kx');
    const before = await readNotifyFlags(admin);
    const first = await holdCounter();
    const second = await holdCounter();
    expect(await readNotifyFlags(admin)).toMatch(/E.*m|m.*E/);
    first.process.kill('SIGTERM');
    await first.exited;
    // The second run's window is still open: key-miss events must stay on.
    const during = await readNotifyFlags(admin);
    expect(during).toContain('E');
    expect(during).toContain('m');
    second.process.kill('SIGTERM');
    await second.exited;
    expect(await readNotifyFlags(admin)).toBe(before);
    expect(await admin.exists(leaseKey(PARAMETER))).toBe(0);
  });
});

describe('a stale restore record', () => {
  it('does not overwrite a setting an administrator made after the run died', async () => {
    await admin.config('SET', PARAMETER, 'Kx');
    const dead = await holdCounter();
    dead.process.kill('SIGKILL'); // no handler runs: the record stays behind
    await dead.exited;
    expect(await readNotifyFlags(admin)).toContain('m');
    await admin.config('SET', PARAMETER, 'KEA'); // the administrator's decision
    const administrators = await readNotifyFlags(admin);
    const client = await connectRedis(endpoint);
    const counter = await startHitCounter(client, endpoint, { patterns: ['faults:*'] });
    await counter.close();
    client.disconnect();
    expect(await readNotifyFlags(admin)).toBe(administrators);
  });

  it('is used while the server still holds the value the dead run set', async () => {
    await admin.config('SET', PARAMETER, 'Kx');
    const before = await readNotifyFlags(admin);
    const dead = await holdCounter();
    dead.process.kill('SIGKILL');
    await dead.exited;
    const client = await connectRedis(endpoint);
    const counter = await startHitCounter(client, endpoint, { patterns: ['faults:*'] });
    await counter.close();
    client.disconnect();
    expect(await readNotifyFlags(admin)).toBe(before);
  });
});

describe('double Ctrl-C during a cache check', () => {
  it('restores notify-keyspace-events every time, whatever the gap between the two signals', async () => {
    const api = await startReferenceApi('optimized', { redisUrl: endpoint.display });
    const out = await mkdtemp(path.join(os.tmpdir(), 'perfspec-double-sigint-'));
    const leftChanged: number[] = [];
    let skipped = 0;
    try {
      for (const gapMs of [0, 20, 80]) {
        await admin.config('SET', PARAMETER, 'Kx');
        const before = await readNotifyFlags(admin);
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'test/fixtures/redis/cli-main.ts', 'run', 'test/fixtures/redis/slow-cache-check.yaml', '--out', out, '--reporter', 'json'],
          { env: { PATH: process.env.PATH, PERFSPEC_BASE_URL: api.url, REDIS_URL: endpoint.display }, stdio: 'ignore' },
        );
        const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
        // The window is open once this child holds the lease (its pid is in its run id); the flags
        // alone could have been set by another process on this shared server.
        const holds = async () => (await admin.hkeys(leaseKey(PARAMETER))).some((field) => field.includes(`:${child.pid}:`));
        const deadline = Date.now() + 15_000;
        while (!(await holds()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        if (!(await holds())) {
          // Another process on this shared server had key-miss events on already, so the child
          // changed nothing and held nothing: this trial proves nothing either way.
          child.kill('SIGKILL');
          await exited;
          skipped += 1;
          continue;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
        child.kill('SIGINT');
        await new Promise((resolve) => setTimeout(resolve, gapMs));
        child.kill('SIGINT');
        await exited;
        if ((await readNotifyFlags(admin)) !== before) leftChanged.push(gapMs);
      }
    } finally {
      await api.close();
    }
    expect(leftChanged).toEqual([]);
    expect(skipped).toBeLessThan(3);
  }, 180_000);
});
