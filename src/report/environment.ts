/**
 * What a report says about where it was measured: perfspec and Node versions, the host's CPUs and
 * load average (at the start and the end of the run), and the git commit of the working directory
 * when there is one. Only this module reads the host; the result stores plain data.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';

export interface RunEnvironment {
  perfspec: string;
  node: string;
  platform: string;
  cpus: { count: number; model: string };
  /** 1, 5 and 15 minute load averages, rounded to 2 decimals. */
  loadAverage: { start: number[]; end?: number[] };
  /** The commit checked out in the directory perfspec ran from, when it is a git work tree. */
  git?: { commit: string; dirty: boolean };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export function readLoadAverage(): number[] {
  return os.loadavg().map(round2);
}

/** `git` answers within a second or is ignored: a report never waits on, or fails for, git. */
function git(args: string[], cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 1000, windowsHide: true }, (error, stdout) => resolve(error ? undefined : stdout.trim()));
  });
}

export async function readGitCommit(cwd: string): Promise<RunEnvironment['git']> {
  const commit = await git(['rev-parse', 'HEAD'], cwd);
  if (!commit || !/^[0-9a-f]{40}$/.test(commit)) return undefined;
  const status = await git(['status', '--porcelain', '--untracked-files=no'], cwd);
  return { commit, dirty: Boolean(status) };
}

export async function collectEnvironment(version: string, cwd: string): Promise<RunEnvironment> {
  const cpus = os.cpus();
  const environment: RunEnvironment = {
    perfspec: version,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: { count: cpus.length, model: cpus[0]?.model.trim() ?? 'unknown' },
    loadAverage: { start: readLoadAverage() },
  };
  const commit = await readGitCommit(cwd);
  if (commit) environment.git = commit;
  return environment;
}
