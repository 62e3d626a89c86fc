/** Command-line errors of distributed runs: each a clear message and exit 2 before anything runs. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { runCli } from '../helpers/run-cli.js';

let dir = '';
let spec = '';
let breakpointSpec = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'perfspec-cli-shards-'));
  // Nothing listens here: every case must be refused before a request would be sent.
  const base = `perfspec: 1\nname: s\ntarget: { baseUrl: "http://127.0.0.1:${await freePort()}" }\n`;
  spec = path.join(dir, 'spec.yaml');
  await writeFile(spec, `${base}load:\n  shards: 3\n  rate: 10\n  duration: 1s\n  flows: [{ name: f, steps: ["GET /"] }]\n`);
  breakpointSpec = path.join(dir, 'bp.yaml');
  await writeFile(breakpointSpec, `${base}load:\n  profile: breakpoint\n  rate: 10\n  duration: 10s\n  flows: [{ name: f, steps: ["GET /"] }]\n`);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string> = {}) =>
  runCli(['run', spec, '--out', path.join(dir, 'out'), ...args], { env: { PATH: process.env.PATH, ...env } });

describe('perfspec run: distributed options', () => {
  it.each([
    [['--shard', '3/3'], {}, 'perfspec: --shard: shard index 3 is outside 0…2'],
    [['--shard', 'two'], {}, 'perfspec: --shard "two" is not INDEX/COUNT'],
    [
      ['--start-at', '2026-12-01T16:00:00Z'],
      {},
      'perfspec: --start-at aligns the shards of a distributed run; give --shard i/N (or JOB_COMPLETION_INDEX) with it',
    ],
    [['--shard', '0/2', '--start-at', 'tomorrow'], {}, 'perfspec: --start-at "tomorrow" is not a time'],
    [['--only-setup', '--shard', '0/2'], {}, 'perfspec: --only-setup runs setup alone; it takes neither --shard, --start-at nor --setup-from'],
    [['--shard', '1/2', '--setup-from', 'nope.json'], {}, 'perfspec: --setup-from nope.json: file not found'],
    [[], { JOB_COMPLETION_INDEX: '3' }, 'perfspec: JOB_COMPLETION_INDEX: shard index 3 is outside 0…2'],
    [[], { JOB_COMPLETION_INDEX: '1', PERFSPEC_SHARDS: 'x' }, 'perfspec: PERFSPEC_SHARDS="x" is not a number of shards'],
  ] as Array<[string[], Record<string, string>, string]>)('%j %j → exit 2', async (args, env, message) => {
    const outcome = await run(args, env);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr.split('\n')[0]).toBe(message);
    expect(outcome.stderr).toContain('hint: ');
    expect(outcome.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses to shard a breakpoint search (each shard would stop on its own)', async () => {
    const outcome = await runCli(['run', breakpointSpec, '--shard', '0/2', '--out', path.join(dir, 'out')], { env: { PATH: process.env.PATH } });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).toContain(
      'load scenario "load" (profile breakpoint) stops at the step where the SLA breaks, which one shard cannot judge alone; it cannot be sharded',
    );
  });

  it('merge: a path that does not exist, or a file that is not a shard file', async () => {
    const missing = await runCli(['merge', path.join(dir, 'nothing-here')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/nothing-here: no such file or directory/);
    const notShard = await runCli(['merge', spec]);
    expect(notShard.exitCode).toBe(2);
    expect(notShard.stderr).toMatch(/spec\.yaml is not a JSON file/);
    const empty = await runCli(['merge', dir, '--out', path.join(dir, 'm')]);
    expect(empty.exitCode).toBe(3);
    expect(empty.stderr).toContain('no shard files found');
  });
});
