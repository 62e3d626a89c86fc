/**
 * scripts/services.sh leaves a running server as it found it (issue #10). The script runs against
 * stand-in commands (pg_isready, psql, pg_ctlcluster, redis-cli) that log every call and report a
 * PostgreSQL with timescaledb already preloaded — the shared servers are never touched.
 * Main job: no ALTER SYSTEM, no restart. --tests: pg_stat_statements appended to the existing list
 * (timescaledb kept), said so, one restart.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

async function fakeServices(preloaded: string): Promise<{ bin: string; log: string }> {
  const bin = await mkdtemp(path.join(os.tmpdir(), 'perfspec-services-'));
  const log = path.join(bin, 'calls.log');
  const tool = (body: string) => `#!/usr/bin/env bash\necho "$(basename "$0") $*" >> "${log}"\n${body}\n`;
  const tools: Record<string, string> = {
    pg_isready: tool('exit 0'),
    'redis-cli': tool('echo PONG'),
    'redis-server': tool('exit 0'),
    pg_ctlcluster: tool('exit 0'),
    psql: tool(`case "$*" in *"show shared_preload_libraries"*) echo "${preloaded}" ;; esac`),
  };
  for (const [name, body] of Object.entries(tools)) {
    await writeFile(path.join(bin, name), body);
    await chmod(path.join(bin, name), 0o755);
  }
  return { bin, log };
}

async function runScript(args: string[], bin: string) {
  return promisify(execFile)('bash', ['scripts/services.sh', ...args], { env: { PATH: `${bin}:${process.env.PATH}` } });
}

describe('scripts/services.sh', () => {
  it('main job: with timescaledb preloaded, no setting is changed and nothing restarted', async () => {
    const { bin, log } = await fakeServices('timescaledb');
    const { stdout } = await runScript([], bin);
    expect(stdout).toContain('PostgreSQL and Redis are up');
    const calls = await readFile(log, 'utf8');
    expect(calls).not.toMatch(/ALTER SYSTEM/);
    expect(calls).not.toMatch(/pg_ctlcluster/);
  });

  it('--tests: appends pg_stat_statements to the existing list, says so, restarts once', async () => {
    const { bin, log } = await fakeServices('timescaledb');
    const { stdout } = await runScript(['--tests'], bin);
    expect(stdout).toContain("shared_preload_libraries 'timescaledb' -> 'timescaledb, pg_stat_statements'");
    const calls = await readFile(log, 'utf8');
    expect(calls).toContain("ALTER SYSTEM SET shared_preload_libraries = 'timescaledb, pg_stat_statements'");
    expect(calls.match(/pg_ctlcluster .*restart/g)).toHaveLength(1);
  });

  it('--tests with pg_stat_statements already preloaded: nothing changed', async () => {
    const { bin, log } = await fakeServices('timescaledb, pg_stat_statements');
    await runScript(['--tests'], bin);
    const calls = await readFile(log, 'utf8');
    expect(calls).not.toMatch(/ALTER SYSTEM|pg_ctlcluster/);
  });
});
