/** INFO output (`field:value` lines under `# Section` headers) into numbers. Pure. */

export interface KeyspaceCounters {
  hits: number;
  misses: number;
}

/** All numeric fields of an INFO reply. */
export function parseInfo(text: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.startsWith('#')) continue;
    const value = Number(line.slice(colon + 1));
    if (Number.isFinite(value)) fields[line.slice(0, colon)] = value;
  }
  return fields;
}

/** keyspace_hits / keyspace_misses from `INFO stats`; undefined when absent. */
export function parseKeyspaceCounters(text: string): KeyspaceCounters | undefined {
  const fields = parseInfo(text);
  if (fields.keyspace_hits === undefined || fields.keyspace_misses === undefined) return undefined;
  return { hits: fields.keyspace_hits, misses: fields.keyspace_misses };
}

/** after - before, less the reads perfspec itself made in the window (its sentinel misses). */
export function diffKeyspaceCounters(before: KeyspaceCounters, after: KeyspaceCounters, ownMisses = 0, ownHits = 0): KeyspaceCounters {
  return {
    hits: Math.max(0, after.hits - before.hits - ownHits),
    misses: Math.max(0, after.misses - before.misses - ownMisses),
  };
}
