/**
 * The last line of defence for SIGKILL, OOM kills and power loss, where no handler runs: before
 * perfspec changes a server setting it writes a small record (server, setting, previous value,
 * the value it sets, its pid) to the temp directory, and removes it after restoring. The next perfspec run that
 * touches the same server restores what a dead process left behind. Passwords are never written;
 * the recovering run uses its own connection.
 */
import { hostProcess, isProcessAlive } from '../../host-process.js';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface JournalRecord {
  server: string;
  parameter: string;
  /** The value found before perfspec changed it (what a restore puts back). */
  value: string;
  /** The value perfspec set: a restore happens only while the server still holds it. */
  applied?: string;
  pid: number;
  writtenAt: string;
}

const DIRECTORY = path.join(os.tmpdir(), 'perfspec-redis-restore');

function prefixFor(server: string): string {
  return createHash('sha1').update(server).digest('hex').slice(0, 16);
}

/** Write a record; returns a function that removes it. Never throws (a journal is best effort). */
export function writeJournal(server: string, parameter: string, value: string, directory = DIRECTORY, applied?: string): () => void {
  const file = path.join(directory, `${prefixFor(server)}-${hostProcess().pid}-${Date.now()}.json`);
  try {
    mkdirSync(directory, { recursive: true });
    const record: JournalRecord = { server, parameter, value, applied, pid: hostProcess().pid, writtenAt: new Date().toISOString() };
    writeFileSync(file, JSON.stringify(record));
  } catch {
    return () => undefined;
  }
  return () => rmSync(file, { force: true });
}

/** Records for this server left by processes that no longer run (oldest first), with their removers. */
export function findOrphans(server: string, directory = DIRECTORY): Array<JournalRecord & { remove: () => void }> {
  let names: string[];
  try {
    names = readdirSync(directory)
      .filter((name) => name.startsWith(`${prefixFor(server)}-`))
      .sort();
  } catch {
    return [];
  }
  const orphans: Array<JournalRecord & { remove: () => void }> = [];
  for (const name of names) {
    const file = path.join(directory, name);
    try {
      const record = JSON.parse(readFileSync(file, 'utf8')) as JournalRecord;
      if (record.server !== server || isProcessAlive(record.pid)) continue;
      orphans.push({ ...record, remove: () => rmSync(file, { force: true }) });
    } catch {
      rmSync(file, { force: true });
    }
  }
  return orphans;
}
