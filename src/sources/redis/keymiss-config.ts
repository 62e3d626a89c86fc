/**
 * Turning on key-miss notifications (`notify-keyspace-events` with `E` and `m`) and putting the
 * previous value back exactly. `m` is not part of `A`, so most servers need the change.
 *
 * Holders are counted per server at two levels: in this process (two hit counters overlapping),
 * and across processes through a lease in Redis (two perfspec runs on one server; see
 * setting-lease.ts). The last one out restores, and only if the server still holds the value
 * perfspec set: a value changed by someone else meanwhile is left alone.
 */
import { Redis } from 'ioredis';
import { buildRedisOptions, type RedisEndpoint } from './connect.js';
import { registerRestore, restoreOverFreshConnection } from './exit-guard.js';
import { findOrphans, writeJournal } from './restore-journal.js';
import { RedisCapabilityError } from './monitor-stream.js';
import { configGet, restoreIfStillApplied, SettingLease } from './setting-lease.js';

export const NOTIFY_PARAMETER = 'notify-keyspace-events';

/** The flags with `E` (keyevent channel) and `m` (key miss) added; unchanged when present. */
export function addKeymissFlags(flags: string): string {
  let result = flags;
  if (!result.includes('E')) result += 'E';
  if (!result.includes('m')) result += 'm';
  return result;
}

export function hasKeymissFlags(flags: string): boolean {
  return flags.includes('E') && flags.includes('m');
}

/** True when a reply error means "you may not run this" rather than "something broke". */
export function isRefusal(message: string): boolean {
  return /unknown command|NOPERM|no permissions|not allowed|disabled|unknown subcommand/i.test(message);
}

interface Holding {
  previous: string;
  applied: string;
  holders: number;
  endpoint: RedisEndpoint;
  lease?: SettingLease;
  leaseClient?: Redis;
  /** Drops the exit-path safety net once the normal path has restored. */
  unregister: () => void;
}

const holdings = new Map<string, Holding>();

export interface KeymissConfig {
  /** The value before perfspec changed it (what a restore puts back). */
  previous: string;
  /** Whether perfspec had to change anything. */
  changed: boolean;
  /** Put the previous value back (for the last holder, if the server still holds perfspec's value); idempotent. */
  restore(client: Redis): Promise<void>;
}

function refusal(error: unknown, what: string): unknown {
  const message = error instanceof Error ? error.message : String(error);
  return isRefusal(message) ? new RedisCapabilityError('CONFIG', `${what} refused: ${message}`) : error;
}

/** A lease on its own connection (db 0), or undefined when the server refuses scripts or writes (ACLs). */
async function openLease(
  endpoint: RedisEndpoint,
): Promise<{ lease: SettingLease; client: Redis; record: Awaited<ReturnType<SettingLease['acquire']>> } | undefined> {
  const client = new Redis(buildRedisOptions(endpoint));
  client.on('error', () => undefined);
  try {
    await client.connect();
    const lease = new SettingLease(client, NOTIFY_PARAMETER);
    const record = await lease.acquire();
    return { lease, client, record };
  } catch {
    client.disconnect();
    return undefined;
  }
}

/**
 * Make sure key-miss events are published. Throws RedisCapabilityError('CONFIG') when CONFIG is
 * refused (managed Redis); the caller may then check whether events arrive anyway.
 */
export async function enableKeymissEvents(client: Redis, endpoint: RedisEndpoint): Promise<KeymissConfig> {
  const serverKey = `${endpoint.host}:${endpoint.port}`;
  const held = holdings.get(serverKey);
  if (held) {
    held.holders++;
    return makeHandle(serverKey, held.previous, true);
  }
  let current: string;
  try {
    current = await configGet(client, NOTIFY_PARAMETER);
  } catch (error) {
    throw refusal(error, 'CONFIG GET');
  }
  const opened = await openLease(endpoint);
  const others = opened?.record.others ?? 0;
  let previous: string;
  if (opened && others > 0) {
    // Another run holds the setting: its record says what the server had before any run changed it.
    const record = opened.record.record ?? (await opened.lease.waitForRecord());
    previous = record?.original ?? current;
  } else {
    // Nobody else holds it. A record left by a run that died (SIGKILL) is used only while the
    // server still holds the value that run set; otherwise someone has changed it since, and the
    // server's value now is the one to keep.
    const stale = opened?.record.record;
    previous = stale && stale.applied === current ? stale.original : current;
    if (!opened) previous = await recoverFromJournal(client, serverKey, current);
    // With a lease, the record in Redis has the final word; the local records of dead runs are spent.
    else for (const orphan of findOrphans(serverKey)) orphan.remove();
  }
  if (previous === current && hasKeymissFlags(current)) {
    // The server's own setting already publishes key misses: nothing to change, nothing to hold.
    if (opened) await opened.lease.release(previous, current).catch(() => undefined);
    opened?.client.disconnect();
    return { previous, changed: false, restore: async () => undefined };
  }
  const wanted = hasKeymissFlags(current) ? current : addKeymissFlags(previous);
  // Record before changing anything, so no exit path and no concurrent run sees a change it cannot undo.
  try {
    if (opened && others === 0) await opened.lease.record(previous, wanted);
  } catch {
    // The lease is best effort: the journal and the exit guard below still protect this run.
  }
  const removeJournal = writeJournal(serverKey, NOTIFY_PARAMETER, previous, undefined, wanted);
  const holding: Holding = { previous, applied: wanted, holders: 1, endpoint, lease: opened?.lease, leaseClient: opened?.client, unregister: () => undefined };
  const unregisterExit = registerRestore({
    endpoint,
    parameter: NOTIFY_PARAMETER,
    value: previous,
    applied: () => holding.applied,
    leaseRunId: opened?.lease.runId,
    onRestored: removeJournal,
  });
  holding.unregister = () => {
    unregisterExit();
    removeJournal();
  };
  holdings.set(serverKey, holding);
  try {
    if (current !== wanted) await client.config('SET', NOTIFY_PARAMETER, wanted);
    // Redis reorders flags ("KEAm" reads back "AKEm"): what it reports is what a restore compares with.
    holding.applied = await configGet(client, NOTIFY_PARAMETER);
    if (opened && others === 0 && holding.applied !== wanted) await opened.lease.record(previous, holding.applied).catch(() => undefined);
  } catch (error) {
    holdings.delete(serverKey);
    holding.unregister();
    if (opened) await opened.lease.release(previous, wanted).catch(() => undefined);
    opened?.client.disconnect();
    throw refusal(error, 'CONFIG SET');
  }
  return makeHandle(serverKey, previous, true);
}

/**
 * Without a lease (scripts refused), fall back on the local journal: a perfspec process killed
 * mid-window left a record; its value is put back only while the server still holds what that
 * process set. Returns the value to treat as the server's own.
 */
async function recoverFromJournal(client: Redis, serverKey: string, current: string): Promise<string> {
  let value = current;
  for (const orphan of findOrphans(serverKey)) {
    if (orphan.applied !== undefined && orphan.applied === value) {
      try {
        await client.config('SET', orphan.parameter, orphan.value);
        value = orphan.value;
      } catch {
        break; // CONFIG refused: handled by the caller
      }
    }
    orphan.remove();
  }
  return value;
}

function makeHandle(serverKey: string, previous: string, changed: boolean): KeymissConfig {
  let released = false;
  return {
    previous,
    changed,
    async restore(client: Redis) {
      if (released) return;
      released = true;
      const holding = holdings.get(serverKey);
      if (!holding) return;
      holding.holders--;
      if (holding.holders > 0) return;
      holdings.delete(serverKey);
      try {
        if (holding.lease) {
          await holding.lease.release(holding.previous, holding.applied);
        } else {
          await restoreIfStillApplied(client, NOTIFY_PARAMETER, holding.previous, holding.applied);
        }
        holding.unregister();
        holding.leaseClient?.disconnect();
        return;
      } catch {
        // The connection may be broken (that is often why we are closing): try a fresh one.
      }
      holding.leaseClient?.disconnect();
      try {
        await restoreOverFreshConnection({
          endpoint: holding.endpoint,
          parameter: NOTIFY_PARAMETER,
          value: holding.previous,
          applied: () => holding.applied,
          leaseRunId: holding.lease?.runId,
        });
        holding.unregister();
      } catch {
        // Leave the safety net registered: the exit path tries once more.
      }
    },
  };
}
