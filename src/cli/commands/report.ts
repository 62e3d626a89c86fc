/**
 * `perfspec report RESULT.json`: render any reporter from a saved result (the JSON report), e.g.
 * the HTML of a CI run on a laptop, or the GitHub summary in a later job. Nothing is measured.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PerfspecError } from '../../errors.js';
import { createRedactor } from '../../report/redact.js';
import { createMultiplexer, createReporters, parseReporterList, REPORTERS } from '../../report/reporters.js';
import type { RunResult } from '../../result/result.js';
import { isComparableReport } from '../../verdict/baseline.js';
import type { CliProcess } from '../process.js';
import { exitCodeFor } from './run.js';

export interface ReportCommandOptions {
  out: string;
  reporter: string;
}

export async function reportCommand(proc: CliProcess, input: string, options: ReportCommandOptions): Promise<number> {
  const { reporters, unknown } = parseReporterList(options.reporter);
  if (unknown.length > 0) {
    throw new PerfspecError('PS_USAGE', `unknown reporter ${unknown.map((name) => `"${name}"`).join(', ')}; available: ${Object.keys(REPORTERS).join(', ')}`);
  }
  const result = await readResult(path.resolve(proc.cwd(), input), input);
  // A saved result was redacted when it was written; URL credentials are masked again all the same.
  const ctx = { outDir: path.resolve(proc.cwd(), options.out), stdout: proc.stdout, redact: createRedactor([]), color: Boolean(proc.stdout.isTTY), env: proc.env, cwd: proc.cwd() };
  const multiplexer = createMultiplexer(createReporters(reporters, ctx), (name, error) =>
    proc.stderr.write(`perfspec: the ${name} reporter failed: ${error instanceof Error ? error.message : String(error)}\n`),
  );
  for (const spec of result.specs) {
    multiplexer.onSpecBegin({ file: spec.file, name: spec.name });
    for (const check of spec.checks) {
      // Replay the per-second figures a probe kept (a load timeline) for streaming reporters.
      for (const probe of check.probes) {
        const timeline = (probe.data as { timeline?: unknown }).timeline;
        if (Array.isArray(timeline)) for (const second of timeline) multiplexer.onMetrics(check.name, { ...(second as Record<string, unknown>) });
      }
      multiplexer.onCheckEnd(check);
    }
  }
  const written = await multiplexer.onEnd(result);
  if (written.length > 0) proc.stdout.write(`\nReports: ${written.map((file) => path.relative(proc.cwd(), file) || file).join(', ')}\n`);
  // The saved run's verdict, so `perfspec report` can gate a later CI job the same way.
  return exitCodeFor(result);
}

async function readResult(file: string, shown: string): Promise<RunResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not a JSON file';
    throw new PerfspecError('PS_USAGE', `${shown}: ${reason}`, { hint: 'Pass the perfspec-report.json of a run.' });
  }
  if (!isComparableReport(parsed)) {
    throw new PerfspecError('PS_USAGE', `${shown} is not a perfspec JSON report (formatVersion 1)`, { hint: 'Pass the perfspec-report.json of a run.' });
  }
  return parsed;
}
