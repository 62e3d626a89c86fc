/**
 * Where a run ran: figures a reader needs to trust (or distrust) its latencies — the machine's
 * CPUs and load average before and after, perfspec's and Node's versions, the targets (URLs
 * without credentials). Recorded once per run in result.environment.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import type { EnvironmentProbe, RunEnvironment } from '../result/result.js';
import { redactUrl } from './redact.js';

export type { EnvironmentProbe, RunEnvironment };

/** `nodeVersion` is handed in (src/cli reads it from the process). */
export function startEnvironment(version: string, nodeVersion: string): EnvironmentProbe {
  const loadBefore = roundAll(os.loadavg());
  return {
    finish(targets) {
      const cpus = os.cpus();
      return {
        perfspec: version,
        node: nodeVersion,
        platform: os.platform(),
        arch: os.arch(),
        cpus: cpus.length || os.availableParallelism(),
        cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
        loadBefore,
        loadAfter: roundAll(os.loadavg()),
        targets: [...new Set(targets.map(redactTarget))],
      };
    },
  };
}

/** One line for people: "2 CPUs (Intel Xeon …), load 5.1 → 6.3, perfspec 0.1.0, Node v20.19.0, linux x64". */
export function describeEnvironment(env: RunEnvironment): string {
  return `${env.cpus} CPUs (${env.cpuModel}), load average ${env.loadBefore[0] ?? 0} → ${env.loadAfter[0] ?? 0}, perfspec ${env.perfspec}, Node ${env.node}, ${env.platform} ${env.arch}; target ${env.targets.join(', ') || 'n/a'}`;
}

/**
 * The one URL redaction (redactUrl: "user:***@", as every other report line shows it) without the
 * query string and fragment: a target's query may carry a key under any name.
 */
function redactTarget(url: string): string {
  return redactUrl(url)
    .replace(/[?#].*$/, '')
    .replace(/\/$/, '');
}

function roundAll(values: number[]): number[] {
  return values.map((value) => Math.round(value * 100) / 100);
}

/** `git` answers within a second or is ignored: a report never waits on, or fails for, git. */
function git(args: string[], cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 1000, windowsHide: true }, (error, stdout) => resolve(error ? undefined : stdout.trim()));
  });
}

/** The commit of the work tree perfspec runs in (and whether tracked files have changes), or undefined. */
export async function readGitCommit(cwd: string): Promise<RunEnvironment['git']> {
  // One git process for both (the CLI's fixed cost counts in every run's CPU per request).
  const status = await git(['status', '--porcelain=v2', '--branch', '--untracked-files=no'], cwd);
  return status === undefined ? undefined : parseGitStatus(status);
}

/**
 * `git status --porcelain=v2 --branch` → the commit and whether tracked files changed: the header
 * `# branch.oid <sha>` names the commit ("(initial)" before the first one: undefined), and every
 * line that is not a `#` header is a changed entry. Pure.
 */
export function parseGitStatus(output: string): RunEnvironment['git'] {
  const lines = output.split('\n').filter((line) => line !== '');
  const commit = lines.find((line) => line.startsWith('# branch.oid '))?.slice('# branch.oid '.length);
  if (!commit || !/^[0-9a-f]{40}$/.test(commit)) return undefined;
  return { commit, dirty: lines.some((line) => !line.startsWith('#')) };
}
