/** Connection failures become one clear PS_REDIS_UNREACHABLE error (exit 3), credentials redacted. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, PerfspecError } from '../../src/errors.js';
import { closeRedis, connectRedis, parseRedisUrl } from '../../src/sources/redis/connect.js';
import { appClient, REDIS_BASE } from '../fixtures/redis/env.js';
import { freePort } from '../helpers/free-port.js';

const USER = 'perfspec-test-connect';
let admin: Redis;

beforeAll(async () => {
  admin = appClient(13);
  await admin.call('ACL', 'SETUSER', USER, 'reset', 'on', '>right-password', '~*', '+@all');
});

afterAll(async () => {
  await admin.call('ACL', 'DELUSER', USER);
  admin.disconnect();
});

async function connectError(url: string): Promise<PerfspecError> {
  try {
    const client = await connectRedis(parseRedisUrl(url), { connectTimeoutMs: 1000 });
    await closeRedis(client);
  } catch (error) {
    return error as PerfspecError;
  }
  throw new Error(`connected to ${url}`);
}

/** A loopback port with nothing listening on it. */
describe('connectRedis failures', () => {
  it('Redis down: names the address and how to start it', async () => {
    const port = await freePort();
    const error = await connectError(`redis://127.0.0.1:${port}/0`);
    expect(error).toBeInstanceOf(PerfspecError);
    expect(error.code).toBe('PS_REDIS_UNREACHABLE');
    expect(error.exitCode).toBe(ExitCode.Infrastructure);
    expect(error.message).toBe(`Redis at redis://127.0.0.1:${port}/0 refused the connection (nothing listens there)`);
    expect(error.hint).toContain(`redis-server --daemonize yes --bind 127.0.0.1 --port ${port}`);
  });

  it('wrong password: WRONGPASS, password never shown', async () => {
    const { host, port } = parseRedisUrl(`${REDIS_BASE}/0`);
    const error = await connectError(`redis://${USER}:wrong-password@${host}:${port}/10`);
    expect(error.code).toBe('PS_REDIS_UNREACHABLE');
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(
      `Redis at redis://${USER}:***@${host}:${port}/10 rejected the credentials: WRONGPASS invalid username-password pair or user is disabled.`,
    );
    expect(`${error.message} ${error.hint}`).not.toContain('wrong-password');
  });

  it('db index out of range', async () => {
    const error = await connectError(`${REDIS_BASE}/99`);
    expect(error.code).toBe('PS_REDIS_UNREACHABLE');
    expect(error.message).toMatch(/^Redis at redis:\/\/.*\/99 has no database 99: ERR DB index is out of range$/);
    expect(error.hint).toContain('databases');
  });

  it('the right credentials connect', async () => {
    const { host, port } = parseRedisUrl(`${REDIS_BASE}/0`);
    const client = await connectRedis(parseRedisUrl(`redis://${USER}:right-password@${host}:${port}/10`));
    expect(await client.ping()).toBe('PONG');
    await closeRedis(client);
  });
});
