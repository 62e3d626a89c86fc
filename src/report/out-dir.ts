/**
 * `--out` is checked before anything runs: a run whose reports cannot be written would pass in CI
 * with no JUnit file. A file, a special filesystem (/proc, /sys, /dev) or a directory perfspec
 * cannot write into is a command-line error (exit 2), found in milliseconds rather than after the run.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PerfspecError } from '../errors.js';

const SPECIAL_ROOTS = ['/proc', '/sys', '/dev'];

export async function checkOutDir(dir: string, shown: string): Promise<void> {
  const resolved = path.resolve(dir);
  const usage = (reason: string) =>
    new PerfspecError('PS_USAGE', `--out ${shown}: ${reason}`, {
      hint: 'Pass a directory perfspec can create and write reports into, e.g. -o perfspec-reports.',
    });
  if (SPECIAL_ROOTS.some((root) => resolved === root || resolved.startsWith(`${root}/`))) throw usage('is on a special filesystem, not a place for reports');
  const existing = await stat(resolved).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw usage('exists and is not a directory');
  try {
    await mkdir(resolved, { recursive: true });
  } catch (error) {
    throw usage(`cannot be created (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // Permissions alone do not tell (root, read-only mounts, ACLs): write a file and remove it.
  const probe = path.join(resolved, `.perfspec-write-check-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, '');
  } catch (error) {
    throw usage(`is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    await rm(probe, { force: true });
  }
}
