/**
 * Turning on key-miss notifications (`notify-keyspace-events` with `E` and `m`) and putting the
 * previous value back exactly. `m` is not part of `A`, so most servers need the change.
 *
 * Holders are counted per server: when two hit counters overlap in one process, the first reads
 * the original value and the last one out restores it, so neither restores the other's setting.
 */
import type { Redis } from 'ioredis';
import type { RedisEndpoint } from './connect.js';
import { registerRestore, restoreOverFreshConnection } from './exit-guard.js';
import { findOrphans, writeJournal } from './restore-journal.js';
import { RedisCapabilityError } from './monitor-stream.js';

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
  holders: number;
  endpoint: RedisEndpoint;
  /** Drops the exit-path safety net once the normal path has restored. */
  unregister: () => void;
}

const holdings = new Map<string, Holding>();

export interface KeymissConfig {
  /** The value before perfspec changed it (what a restore puts back). */
  previous: string;
  /** Whether perfspec had to change anything. */
  changed: boolean;
  /** Put the previous value back (for the last holder); idempotent. */
  restore(client: Redis): Promise<void>;
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
  // A perfspec process killed with SIGKILL mid-window left the setting changed: put it back first,
  // so that what we read below is the server's real value.
  for (const orphan of findOrphans(serverKey)) {
    try {
      await client.config('SET', orphan.parameter, orphan.value);
      orphan.remove();
    } catch {
      break; // CONFIG refused: handled below
    }
  }
  let previous: string;
  try {
    const reply = (await client.config('GET', NOTIFY_PARAMETER)) as string[];
    previous = reply[1] ?? '';
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (isRefusal(message)) throw new RedisCapabilityError('CONFIG', `CONFIG GET refused: ${message}`);
    throw error;
  }
  if (hasKeymissFlags(previous)) return { previous, changed: false, restore: async () => undefined };
  // Register the safety net before changing anything, so no exit path sees a change it cannot undo.
  const removeJournal = writeJournal(serverKey, NOTIFY_PARAMETER, previous);
  const unregisterExit = registerRestore({ endpoint, parameter: NOTIFY_PARAMETER, value: previous, onRestored: removeJournal });
  const unregister = () => {
    unregisterExit();
    removeJournal();
  };
  const holding: Holding = { previous, holders: 1, endpoint, unregister };
  holdings.set(serverKey, holding);
  try {
    await client.config('SET', NOTIFY_PARAMETER, addKeymissFlags(previous));
  } catch (error) {
    holdings.delete(serverKey);
    unregister();
    const message = error instanceof Error ? error.message : String(error);
    if (isRefusal(message)) throw new RedisCapabilityError('CONFIG', `CONFIG SET refused: ${message}`);
    throw error;
  }
  return makeHandle(serverKey, previous, true);
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
      const value = holding.previous;
      try {
        await client.config('SET', NOTIFY_PARAMETER, value);
        holding.unregister();
        return;
      } catch {
        // The given connection may be broken (that is often why we are closing): try a fresh one.
      }
      try {
        await restoreOverFreshConnection({ endpoint: holding.endpoint, parameter: NOTIFY_PARAMETER, value });
        holding.unregister();
      } catch {
        // Leave the safety net registered: the exit path tries once more.
      }
    },
  };
}
