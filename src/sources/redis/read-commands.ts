/**
 * Which commands Redis counts as keyspace reads, and where their keys are.
 *
 * A read here is a command that looks its key up with `lookupKeyRead`: Redis then counts one
 * keyspace hit or miss per key and, on a miss, publishes one `keymiss` notification. That is what
 * makes "hits = reads seen in MONITOR - keymiss events" exact, so a command belongs in this table
 * only if it behaves like that for every key it names. Each entry is checked against the real
 * server by test/integration/redis-read-commands.test.ts (all-hit, all-miss and mixed cases).
 *
 * Deliberately absent: writes (SET, DEL, INCR... use lookupKeyWrite and count nothing), MEMORY
 * USAGE (no stats), PFCOUNT (looks its key up for writing), SORT (may store), blocking and stream
 * reads (XREAD: keys after STREAMS) and module commands. OBJECT is absent too: on Redis 7.0.15 it
 * counts a miss in INFO but publishes no keymiss event (measured), so its misses would be taken
 * for hits.
 */

/**
 * Where a command's keys are:
 * - `first`: args[1];
 * - `all`: every argument after the name (MGET, EXISTS: Redis looks each one up, duplicates too);
 * - `first-two`: args[1] and args[2] (LCS);
 * - `numkeys`: args[1] is a count, the keys follow (ZUNION, SINTERCARD).
 */
export type KeyPosition = 'first' | 'all' | 'first-two' | 'numkeys';

/** Lower-case command name → key position. */
export const READ_COMMANDS: Readonly<Record<string, KeyPosition>> = {
  // strings
  get: 'first',
  mget: 'all',
  getex: 'first',
  getdel: 'first',
  getrange: 'first',
  substr: 'first',
  strlen: 'first',
  getbit: 'first',
  bitcount: 'first',
  bitpos: 'first',
  lcs: 'first-two',
  // generic
  exists: 'all',
  touch: 'all',
  type: 'first',
  ttl: 'first',
  pttl: 'first',
  expiretime: 'first',
  pexpiretime: 'first',
  dump: 'first',
  // hashes (HGET of a missing field on an existing key is a hit: Redis counts keys, not fields)
  hget: 'first',
  hmget: 'first',
  hgetall: 'first',
  hkeys: 'first',
  hvals: 'first',
  hlen: 'first',
  hexists: 'first',
  hstrlen: 'first',
  hrandfield: 'first',
  // lists
  lrange: 'first',
  lindex: 'first',
  llen: 'first',
  lpos: 'first',
  // sets
  smembers: 'first',
  sismember: 'first',
  smismember: 'first',
  scard: 'first',
  srandmember: 'first',
  sinter: 'all',
  sunion: 'all',
  sdiff: 'all',
  sintercard: 'numkeys',
  // sorted sets
  zrange: 'first',
  zrangebyscore: 'first',
  zrangebylex: 'first',
  zrevrange: 'first',
  zrevrangebyscore: 'first',
  zrevrangebylex: 'first',
  zscore: 'first',
  zmscore: 'first',
  zcard: 'first',
  zcount: 'first',
  zlexcount: 'first',
  zrank: 'first',
  zrevrank: 'first',
  zrandmember: 'first',
  zunion: 'numkeys',
  zinter: 'numkeys',
  zdiff: 'numkeys',
  // streams
  xrange: 'first',
  xrevrange: 'first',
  xlen: 'first',
};

/**
 * The keys a command line reads, one entry per lookup (so `MGET a a` gives `a` twice), or an
 * empty list for commands that are not reads. `args[0]` is the command name in any case.
 */
export function extractReadKeys(args: readonly string[]): string[] {
  if (args.length < 2) return [];
  const position = READ_COMMANDS[args[0].toLowerCase()];
  switch (position) {
    case undefined:
      return [];
    case 'first':
      return [args[1]];
    case 'all':
      return args.slice(1);
    case 'first-two':
      return args.slice(1, 3);
    case 'numkeys': {
      const count = Number(args[1]);
      return Number.isInteger(count) && count > 0 ? args.slice(2, 2 + count) : [];
    }
  }
}

/** A TTL that a command line sets on a key, in milliseconds from the command's own time. */
export interface TtlWrite {
  key: string;
  ttlMs: number;
}

const UNIT_MS: Record<string, number> = { ex: 1000, px: 1 };
const ABSOLUTE_UNIT_MS: Record<string, number> = { exat: 1000, pxat: 1 };

/**
 * The TTL written by SET … EX/PX/EXAT/PXAT, SETEX, PSETEX, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT and
 * GETEX … EX/PX/EXAT/PXAT, so the configured TTL of a cache is seen exactly as the application
 * wrote it. Absolute times are turned into a TTL with the MONITOR timestamp (`nowSeconds`).
 */
export function extractTtlWrite(args: readonly string[], nowSeconds: number): TtlWrite | undefined {
  if (args.length < 3) return undefined;
  const name = args[0].toLowerCase();
  const key = args[1];
  const relative = (value: string, unitMs: number) => finite(Number(value) * unitMs);
  const absolute = (value: string, unitMs: number) => finite(Number(value) * unitMs - nowSeconds * 1000);
  let ttlMs: number | undefined;
  if (name === 'setex') ttlMs = relative(args[2], 1000);
  else if (name === 'psetex') ttlMs = relative(args[2], 1);
  else if (name === 'expire') ttlMs = relative(args[2], 1000);
  else if (name === 'pexpire') ttlMs = relative(args[2], 1);
  else if (name === 'expireat') ttlMs = absolute(args[2], 1000);
  else if (name === 'pexpireat') ttlMs = absolute(args[2], 1);
  else if (name === 'set' || name === 'getex') {
    // SET key value [options]; GETEX key [options]
    for (let i = name === 'set' ? 3 : 2; i < args.length - 1; i++) {
      const option = args[i].toLowerCase();
      if (option in UNIT_MS) ttlMs = relative(args[i + 1], UNIT_MS[option]);
      else if (option in ABSOLUTE_UNIT_MS) ttlMs = absolute(args[i + 1], ABSOLUTE_UNIT_MS[option]);
    }
  }
  return ttlMs === undefined ? undefined : { key, ttlMs };
}

function finite(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}
