/**
 * Sharing a server setting between concurrent perfspec runs: a lease in Redis itself (db 0, hash
 * `perfspec:lease:<parameter>`) holds the value found before any run changed it (`original`), the
 * value perfspec set (`applied`) and one field per run that needs the setting (`holder:<run id>` =
 * expiry in ms since the epoch, refreshed while the run holds it). The last run out restores, and
 * only when the server still holds perfspec's value: an administrator's change is never undone.
 *
 * A run that dies without releasing (SIGKILL) leaves its holder field to expire; the next run finds
 * the record stale and uses it only when the server still holds the recorded `applied` value.
 * CONFIG cannot run inside a script, so the scripts keep the lease's bookkeeping atomic and the
 * CONFIG GET/SET around them are made conditional instead.
 */
import { hostProcess, isProcessAlive } from '../../host-process.js';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';

export const LEASE_TTL_MS = 30_000;

export function leaseKey(parameter: string): string {
  return `perfspec:lease:${parameter}`;
}

/** This process's run id in leases: host, pid and a random part (pids are reused). */
export function processRunId(): string {
  runId ??= `${os.hostname()}:${hostProcess().pid}:${randomBytes(4).toString('hex')}`;
  return runId;
}
let runId: string | undefined;

// Drop expired holders, count the live ones other than ARGV[1], add ARGV[1]; return the record.
export const ACQUIRE_SCRIPT = `
local fields = redis.call('HGETALL', KEYS[1])
local now = tonumber(ARGV[2])
local others = 0
for i = 1, #fields, 2 do
  local f = fields[i]
  if string.sub(f, 1, 7) == 'holder:' then
    if tonumber(fields[i + 1]) < now then redis.call('HDEL', KEYS[1], f)
    elseif f ~= 'holder:' .. ARGV[1] then others = others + 1 end
  end
end
redis.call('HSET', KEYS[1], 'holder:' .. ARGV[1], now + tonumber(ARGV[3]))
local o = redis.call('HGET', KEYS[1], 'original')
local a = redis.call('HGET', KEYS[1], 'applied')
if o and a then return {others, 1, o, a} end
return {others, 0, '', ''}
`;

// Remove ARGV[1] (may be absent: idempotent) and expired holders; return how many live ones are left.
export const RELEASE_SCRIPT = `
redis.call('HDEL', KEYS[1], 'holder:' .. ARGV[1])
local fields = redis.call('HGETALL', KEYS[1])
local live = 0
for i = 1, #fields, 2 do
  local f = fields[i]
  if string.sub(f, 1, 7) == 'holder:' then
    if tonumber(fields[i + 1]) < tonumber(ARGV[2]) then redis.call('HDEL', KEYS[1], f) else live = live + 1 end
  end
end
return live
`;

// Delete the record once nobody holds it (after the last one out restored).
export const FINISH_SCRIPT = `
local fields = redis.call('HKEYS', KEYS[1])
for i = 1, #fields do
  if string.sub(fields[i], 1, 7) == 'holder:' then return 0 end
end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * Holders on this machine whose process is gone (SIGKILL) are dropped at once rather than after
 * their expiry: the run ids name host and pid for this. Holders on other hosts wait for expiry.
 */
export async function dropDeadLocalHolders(client: Redis, key: string): Promise<void> {
  const fields = await client.hkeys(key);
  const host = os.hostname();
  for (const field of fields) {
    const match = /^holder:(.*):(\d+):[0-9a-f]+$/.exec(field);
    if (!match || match[1] !== host) continue;
    if (!isProcessAlive(Number(match[2]))) await client.hdel(key, field);
  }
}

export interface LeaseRecord {
  /** Live holders other than this run. */
  others: number;
  /** The recorded original and applied values, when a record exists. */
  record?: { original: string; applied: string };
}

export async function configGet(client: Redis, parameter: string): Promise<string> {
  const reply = (await client.config('GET', parameter)) as string[];
  return reply[1] ?? '';
}

export class SettingLease {
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    /** A connection of its own, on db 0 (the lease is per server, whatever db the app uses). */
    private readonly client: Redis,
    readonly parameter: string,
    readonly runId = processRunId(),
  ) {}

  get key(): string {
    return leaseKey(this.parameter);
  }

  async acquire(now = Date.now()): Promise<LeaseRecord> {
    await dropDeadLocalHolders(this.client, this.key);
    const [others, hasRecord, original, applied] = (await this.client.eval(ACQUIRE_SCRIPT, 1, this.key, this.runId, now, LEASE_TTL_MS)) as [
      number,
      number,
      string,
      string,
    ];
    this.startHeartbeat();
    return hasRecord ? { others, record: { original, applied } } : { others };
  }

  /** Record what this run found and what it sets, before setting it (a concurrent run waits for it). */
  async record(original: string, applied: string): Promise<void> {
    await this.client.hset(this.key, 'original', original, 'applied', applied);
  }

  /** For a run that joined another's lease before its record was written: wait briefly for it. */
  async waitForRecord(timeoutMs = 3000): Promise<{ original: string; applied: string } | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const [original, applied] = await this.client.hmget(this.key, 'original', 'applied');
      if (original !== null && applied !== null) return { original, applied };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return undefined;
  }

  /**
   * Leave the lease; the last one out restores `original` if the server still holds `applied`.
   * Idempotent. Returns what happened, for messages and tests.
   */
  async release(original: string, applied: string, now = Date.now()): Promise<'restored' | 'kept-for-others' | 'changed-by-someone-else'> {
    this.stopHeartbeat();
    await dropDeadLocalHolders(this.client, this.key);
    const live = Number(await this.client.eval(RELEASE_SCRIPT, 1, this.key, this.runId, now));
    if (live > 0) return 'kept-for-others';
    const outcome = await restoreIfStillApplied(this.client, this.parameter, original, applied);
    await this.client.eval(FINISH_SCRIPT, 1, this.key);
    return outcome;
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    // A plain HSET (a write): it does not count as a keyspace hit or miss in the figures measured.
    this.heartbeat = setInterval(() => {
      this.client.hset(this.key, `holder:${this.runId}`, Date.now() + LEASE_TTL_MS).catch(() => undefined);
    }, LEASE_TTL_MS / 3);
    this.heartbeat.unref();
  }

  stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

/** Put `original` back only if the server still holds perfspec's `applied` value. */
export async function restoreIfStillApplied(
  client: Redis,
  parameter: string,
  original: string,
  applied: string,
): Promise<'restored' | 'changed-by-someone-else'> {
  const current = await configGet(client, parameter);
  if (current !== applied) return 'changed-by-someone-else';
  await client.config('SET', parameter, original);
  return 'restored';
}
