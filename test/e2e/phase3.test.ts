/**
 * The README's main job: specs/phase3.yaml against the reference API, started by perfspec itself.
 * Optimized must pass; naive must fail, for the right, named reasons.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportSchemaProblems } from '../helpers/report-schema.js';
import { runCli } from '../helpers/run-cli.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

interface Verdict {
  check: string;
  metric: string;
  passed: boolean;
  actual: string;
  actualValue: number | null;
  message: string;
}

async function runPhase3(mode: 'naive' | 'optimized', extraArgs: string[] = []) {
  const out = await mkdtemp(path.join(os.tmpdir(), `perfspec-phase3-${mode}-`));
  const port = await freePort();
  const outcome = await runCli(['run', 'specs/phase3.yaml', '--out', out, ...extraArgs], {
    env: { PATH: process.env.PATH, REF_API_MODE: mode, PERFSPEC_BASE_URL: `http://127.0.0.1:${port}` },
  });
  const json = JSON.parse(await readFile(path.join(out, 'perfspec-report.json'), 'utf8'));
  const verdicts: Verdict[] = json.specs[0].checks.flatMap((check: { probes: Array<{ verdicts: Verdict[] }> }) => check.probes.flatMap((probe) => probe.verdicts));
  const markdown = await readFile(path.join(out, 'perfspec-report.md'), 'utf8');
  return { outcome, json, verdicts, markdown, out };
}

describe('specs/phase3.yaml against the reference API', () => {
  it('optimized mode passes every budget (exit 0)', async () => {
    const { outcome, verdicts, json } = await runPhase3('optimized');
    const failed = verdicts.filter((verdict) => !verdict.passed);
    expect(failed.map((verdict) => `${verdict.check} ${verdict.metric}: ${verdict.message}`)).toEqual([]);
    expect(json.specs[0].errors).toEqual([]);
    expect(reportSchemaProblems(json)).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    expect(json.specs[0].checks.map((check: { name: string }) => check.name)).toContain('Audit logs list');
  });

  it('naive mode fails (exit 1), naming the N+1 endpoints and their measured latency', async () => {
    const { outcome, verdicts, markdown } = await runPhase3('naive');
    expect(outcome.exitCode).toBe(1);
    const list = verdicts.find((verdict) => verdict.check === 'Audit logs list' && verdict.metric === 'latency.p95')!;
    // 1 + 2×100 statements, each after a simulated 1 ms round trip: far above the 50 ms budget.
    expect(list.passed).toBe(false);
    expect(list.actualValue).toBeGreaterThan(150);
    const exportCheck = verdicts.find((verdict) => verdict.check === 'Audit logs export' && verdict.metric === 'latency.p95')!;
    expect(exportCheck.passed).toBe(false);
    expect(markdown).toContain('- **Audit logs list** `latency.p95`: p95 ');
    expect(outcome.stdout).toContain('FAILED');
  });
});
