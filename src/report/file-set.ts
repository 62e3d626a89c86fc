/**
 * The report files of one run are written as a set: every file goes to a temp file first, then all
 * are renamed in one synchronous step. A signal can only arrive before the step (the set is rolled
 * back: temp files removed, the previous run's files untouched) or after it (the new set is
 * complete), so one run's files never sit beside another's and no `*.tmp` is left behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

const TEMP_SUFFIX = '.perfspec.tmp';

export class ReportFileSet {
  private readonly staged = new Map<string, string>();
  private done = false;

  /** Write `content` to a temp file beside `file`; it becomes `file` on commit. */
  async stage(file: string, content: string): Promise<void> {
    if (this.done) throw new Error('the report set is already committed or rolled back');
    mkdirSync(path.dirname(file), { recursive: true });
    // Random, not the pid: unique per staged file whoever writes beside it.
    const temp = `${file}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
    this.staged.set(file, temp);
    await writeFile(temp, content);
  }

  /**
   * Rename every staged file into place (synchronous: no signal handler runs in between). A file
   * that cannot be renamed is reported through `onError` and its temp file removed; the others
   * are still put in place.
   */
  commit(onError: (file: string, error: unknown) => void): string[] {
    if (this.done) return [];
    this.done = true;
    const written: string[] = [];
    for (const [file, temp] of this.staged) {
      try {
        renameSync(temp, file);
        written.push(file);
      } catch (error) {
        rmSync(temp, { force: true });
        onError(file, error);
      }
    }
    this.staged.clear();
    return written;
  }

  /** Remove every temp file; the files already in place (the previous run's) stay as they were. */
  rollback(): void {
    this.done = true;
    for (const temp of this.staged.values()) rmSync(temp, { force: true });
    this.staged.clear();
  }
}

/** Remove temp files a killed earlier run left in the directory (SIGKILL cannot be handled). */
export function removeStaleTempFiles(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith('perfspec-') && name.endsWith(TEMP_SUFFIX)) rmSync(path.join(dir, name), { force: true });
}
