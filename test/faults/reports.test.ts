/**
 * Reports are never lost (issue #10): --out checked before anything runs, a failing reporter makes
 * the run exit 3 while the others are written, --baseline validated whole before anything runs, and
 * a Ctrl-C while the files are written never leaves one run's files beside another's or a *.tmp.
 * Ground truth: the scripted server's own request count (0 = nothing ran) and the files on disk.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

let server: ScriptedServer;
let work: string;
const FILES = ['perfspec-report.md', 'perfspec-report.html', 'perfspec-report.json', 'perfspec-junit.xml'];

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'perfspec-faults-reports-'));
  server = await startScriptedServer({ '/fast': {} });
  // The first CLI call of the file pays for loading perfspec's modules (seconds on a loaded
  // machine); paid here, so the "well under a second" bounds below time the --out check alone.
  await runCli(['run', await writeSpec('warm-up'), '-o', '/proc/1/x']);
});
afterAll(async () => server.close());

async function writeSpec(name: string): Promise<string> {
  const file = path.join(work, `${name}.yaml`);
  await writeFile(
    file,
    `perfspec: 1\nname: ${name}\ntarget:\n  baseUrl: ${server.url}\nchecks:\n  - name: Fast\n    request: GET /fast\n    samples: 5\n    warmup: 0\n    latency: { p95: "< 5s" }\n`,
  );
  return file;
}
const hits = () => server.hits.get('/fast') ?? 0;

describe('--out is checked before anything runs', () => {
  it.each([
    [
      'an existing file',
      async () => {
        const file = path.join(work, 'a-file');
        await writeFile(file, 'x');
        return file;
      },
      'exists and is not a directory',
    ],
    ['a special path', async () => '/proc/1/x', 'is on a special filesystem'],
    [
      'a directory under a file',
      async () => {
        const file = path.join(work, 'b-file');
        await writeFile(file, 'x');
        return path.join(file, 'reports');
      },
      'cannot be created',
    ],
  ])('%s: exit 2 in well under a second, no request sent', async (_label, makeOut, reason) => {
    const spec = await writeSpec('out-check');
    const out = await makeOut();
    const before = hits();
    const started = Date.now();
    const outcome = await runCli(['run', spec, '-o', out]);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).toContain(`--out ${out}: ${reason}`);
    expect(hits()).toBe(before);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('an unwritable directory: exit 2 (skipped as root, who can write anywhere)', async () => {
    if (process.getuid?.() === 0) return;
    const dir = path.join(work, 'read-only');
    await mkdir(dir);
    await chmod(dir, 0o555);
    const outcome = await runCli(['run', await writeSpec('ro'), '-o', dir]);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).toContain('is not writable');
  });
});

describe('a reporter that fails', () => {
  it('makes the run exit 3, names the file, and the other reports are still written', async () => {
    const out = path.join(work, 'md-blocked');
    await mkdir(path.join(out, 'perfspec-report.md'), { recursive: true }); // a directory where the file goes
    const outcome = await runCli(['run', await writeSpec('blocked'), '-o', out]);
    expect(outcome.exitCode).toBe(3);
    expect(outcome.stderr).toMatch(/could not write .*perfspec-report\.md/);
    for (const name of ['perfspec-report.html', 'perfspec-report.json', 'perfspec-junit.xml']) expect(existsSync(path.join(out, name))).toBe(true);
    expect((await readdir(out)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('--baseline is validated whole before anything runs', () => {
  it('a report whose verdicts lack `actual`: exit 2 naming the field, no request sent, no report written', async () => {
    const out = path.join(work, 'baseline-good');
    const first = await runCli(['run', await writeSpec('baseline'), '-o', out]);
    expect(first.exitCode).toBe(0);
    const report = JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8'));
    delete report.specs[0].checks[0].probes[0].verdicts[0].actual;
    const broken = path.join(work, 'broken-baseline.json');
    await writeFile(broken, JSON.stringify(report));
    const before = hits();
    const outcome = await runCli(['run', await writeSpec('baseline'), '-o', path.join(work, 'baseline-bad'), '--baseline', broken]);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).toContain('does not match schemas/report.schema.json');
    expect(outcome.stderr).toMatch(/specs\[0\]\.checks\[0\]\.probes\[0\]\.verdicts\[0\]: must have required property 'actual'/);
    expect(hits()).toBe(before);
    expect(existsSync(path.join(work, 'baseline-bad', 'perfspec-report.json'))).toBe(false);
  });

  it('a report whose probes is not a list: exit 2, not "internal error … flatMap"', async () => {
    const broken = path.join(work, 'flatmap-baseline.json');
    await writeFile(
      broken,
      JSON.stringify({
        formatVersion: 1,
        runId: 'x',
        startedAt: '2026-01-01T00:00:00Z',
        specs: [{ name: 'x', file: 'x', checks: [{ name: 'c', probes: 'oops' }] }],
      }),
    );
    const outcome = await runCli(['run', await writeSpec('baseline2'), '-o', path.join(work, 'baseline-bad2'), '--baseline', broken]);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.stderr).not.toContain('internal error');
  });
});

describe('a signal while the reports are written', () => {
  /** Deliver Ctrl-C `times` times while the console reporter prints its summary (the set is being written). */
  async function runWithSignals(name: string, out: string, times: number) {
    let delivered = 0;
    return runCli(['run', await writeSpec(name), '-o', out], {
      onStdout: (text, interrupt) => {
        if (delivered === 0 && /Check\s+Budget/.test(text)) for (; delivered < times; delivered += 1) interrupt();
      },
    });
  }
  const contents = async (out: string) => Promise.all(FILES.map((name) => readFile(path.join(out, name), 'utf8')));

  it('one Ctrl-C: the new set is finished whole (exit 130), no *.tmp', async () => {
    const out = path.join(work, 'signal-once');
    expect((await runCli(['run', await writeSpec('OldRunOnce'), '-o', out])).exitCode).toBe(0);
    const outcome = await runWithSignals('NewRunOnce', out, 1);
    expect(outcome.exitCode).toBe(130);
    for (const text of await contents(out)) {
      expect(text).toContain('NewRunOnce');
      expect(text).not.toContain('OldRunOnce');
    }
    expect((await readdir(out)).filter((file) => file.includes('.tmp'))).toEqual([]);
  });

  it("two Ctrl-C: the new set is rolled back, the previous run's files stay whole, no *.tmp", async () => {
    const out = path.join(work, 'signal-twice');
    expect((await runCli(['run', await writeSpec('OldRunTwice'), '-o', out])).exitCode).toBe(0);
    const outcome = await runWithSignals('NewRunTwice', out, 2);
    expect(outcome.exitCode).toBe(130);
    for (const text of await contents(out)) {
      expect(text).toContain('OldRunTwice');
      expect(text).not.toContain('NewRunTwice');
    }
    expect((await readdir(out)).filter((file) => file.includes('.tmp'))).toEqual([]);
  });
});

describe('`report` and `merge` check --out first and exit 3 when a reporter fails (like `run`)', () => {
  let savedReport = '';
  let shardDir = '';
  beforeAll(async () => {
    const out = path.join(work, 'for-report');
    expect((await runCli(['run', await writeSpec('ForReport'), '-o', out])).exitCode).toBe(0);
    savedReport = path.join(out, 'perfspec-report.json');
    // One shard of a one-shard run: a real perfspec-shard-0-of-1.json for `merge`.
    shardDir = path.join(work, 'for-merge');
    const spec = path.join(work, 'shard.yaml');
    await writeFile(
      spec,
      `perfspec: 1\nname: ForMerge\ntarget:\n  baseUrl: ${server.url}\nload:\n  rate: 5\n  duration: 1s\n  flows: [{ name: f, steps: ["GET /fast"] }]\n`,
    );
    const shard = await runCli(['run', spec, '--shard', '0/1', '-o', shardDir, '--reporter', 'json']);
    expect(shard.exitCode, shard.stderr).toBe(0);
    expect(existsSync(path.join(shardDir, 'perfspec-shard-0-of-1.json'))).toBe(true);
  }, 60_000);

  const anExistingFile = async () => {
    const file = path.join(work, `c-file-${Math.random().toString(36).slice(2)}`);
    await writeFile(file, 'x');
    return file;
  };
  const commands = {
    report: (out: string) => ['report', savedReport, '-o', out],
    merge: (out: string) => ['merge', shardDir, '-o', out],
  };

  it.each(Object.keys(commands) as Array<keyof typeof commands>)(
    '%s: --out an existing file, a special path or unwritable: exit 2 before the input is even read',
    async (command) => {
      for (const [out, reason] of [
        [await anExistingFile(), 'exists and is not a directory'],
        ['/proc/1/x', 'is on a special filesystem'],
        [path.join(await anExistingFile(), 'reports'), 'cannot be created'],
      ]) {
        // The input does not exist either: the --out error comes first, so nothing was read.
        const args = [command, path.join(work, 'no-such-input.json'), '-o', out];
        const outcome = await runCli(args);
        expect(outcome.exitCode, outcome.stderr).toBe(2);
        expect(outcome.stderr).toContain(`--out ${out}: ${reason}`);
        expect(outcome.stderr).not.toContain('no-such-input');
      }
      if (process.getuid?.() !== 0) {
        const dir = path.join(work, `read-only-${command}`);
        await mkdir(dir);
        await chmod(dir, 0o555);
        const outcome = await runCli(commands[command](dir));
        expect(outcome.exitCode).toBe(2);
        expect(outcome.stderr).toContain('is not writable');
      }
    },
  );

  it.each(Object.keys(commands) as Array<keyof typeof commands>)('%s: a reporter that fails makes it exit 3, the others are still written', async (command) => {
    const control = await runCli([...commands[command](path.join(work, `${command}-ok`)), '--reporter', 'markdown,json,junit']);
    expect(control.exitCode, control.stderr).toBe(0);
    const out = path.join(work, `${command}-md-blocked`);
    await mkdir(path.join(out, 'perfspec-report.md'), { recursive: true }); // a directory where the file goes
    const outcome = await runCli([...commands[command](out), '--reporter', 'markdown,json,junit']);
    expect(outcome.exitCode).toBe(3);
    expect(outcome.stderr).toMatch(/the markdown reporter failed/);
    for (const name of ['perfspec-report.json', 'perfspec-junit.xml']) expect(existsSync(path.join(out, name))).toBe(true);
  });
});
