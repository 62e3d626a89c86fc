/** The commit a report names: `git status --porcelain=v2 --branch` read once (src/report/environment.ts). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGitStatus, readGitCommit } from '../../src/report/environment.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('parseGitStatus', () => {
  it('reads the commit from the branch header and calls the tree dirty only for changed entries', () => {
    expect(parseGitStatus(`# branch.oid ${SHA}\n# branch.head main\n`)).toEqual({ commit: SHA, dirty: false });
    expect(parseGitStatus(`# branch.oid ${SHA}\n# branch.head main\n# branch.upstream origin/main\n# branch.ab +1 -0\n`)).toEqual({
      commit: SHA,
      dirty: false,
    });
    expect(parseGitStatus(`# branch.oid ${SHA}\n# branch.head (detached)\n1 .M N... 100644 100644 100644 aaa bbb src/x.ts\n`)).toEqual({
      commit: SHA,
      dirty: true,
    });
    expect(parseGitStatus(`# branch.oid ${SHA}\n2 R. N... 100644 100644 100644 aaa bbb R100 b.ts\ta.ts\n`)).toEqual({ commit: SHA, dirty: true });
  });

  it('has no commit before the first one, or when the output is not git status', () => {
    expect(parseGitStatus('# branch.oid (initial)\n# branch.head main\n')).toBeUndefined();
    expect(parseGitStatus('')).toBeUndefined();
    expect(parseGitStatus('fatal: not a git repository\n')).toBeUndefined();
  });
});

describe('readGitCommit against a real repository', () => {
  it("names the commit git itself reports, and turns dirty when a tracked file changes (untracked ones don't count)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'perfspec-git-'));
    const run = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' }).trim();
    try {
      run('init', '-q');
      expect(await readGitCommit(dir)).toBeUndefined();
      writeFileSync(path.join(dir, 'a.txt'), 'one\n');
      run('add', 'a.txt');
      run('commit', '-q', '-m', 'one');
      const head = run('rev-parse', 'HEAD');
      expect(await readGitCommit(dir)).toEqual({ commit: head, dirty: false });
      writeFileSync(path.join(dir, 'untracked.txt'), 'x\n');
      expect(await readGitCommit(dir)).toEqual({ commit: head, dirty: false });
      writeFileSync(path.join(dir, 'a.txt'), 'two\n');
      expect(await readGitCommit(dir)).toEqual({ commit: head, dirty: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is undefined outside a repository', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'perfspec-nogit-'));
    try {
      expect(await readGitCommit(dir)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
