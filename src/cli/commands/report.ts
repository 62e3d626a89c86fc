/**
 * `perfspec report RESULT.json`: render any reporter from a saved result (the JSON report), e.g.
 * the HTML of a CI run on a laptop, or the GitHub summary in a later job. Nothing is measured.
 */
import path from 'node:path';
import { createRedactor } from '../../report/redact.js';
import { createMultiplexer, createReporters } from '../../report/reporters.js';
import type { CliProcess } from '../process.js';
import { checkOutFor, exitCodeAfterReports, printWrittenFiles, readReportFile, reportersOrThrow } from './report-io.js';
import { exitCodeFor } from './run.js';

export interface ReportCommandOptions {
  out: string;
  reporter: string;
}

export async function reportCommand(proc: CliProcess, input: string, options: ReportCommandOptions): Promise<number> {
  const reporters = reportersOrThrow(options.reporter);
  const outDir = await checkOutFor(proc, reporters, options.out);
  const result = await readReportFile(path.resolve(proc.cwd(), input), input, 'Pass the perfspec-report.json of a run.');
  // A saved result was redacted when it was written; URL credentials are masked again all the same.
  const redact = createRedactor([]);
  const ctx = { outDir, stdout: proc.stdout, redact, color: Boolean(proc.stdout.isTTY), env: proc.env, cwd: proc.cwd() };
  let reporterFailures = 0;
  const multiplexer = createMultiplexer(createReporters(reporters, ctx), (name, error) => {
    reporterFailures += 1;
    proc.stderr.write(`perfspec: the ${name} reporter failed: ${redact(error instanceof Error ? error.message : String(error))}\n`);
  });
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
  printWrittenFiles(proc, written);
  // The saved run's verdict, so `perfspec report` can gate a later CI job the same way; a report
  // that could not be written is exit 3 all the same.
  return exitCodeAfterReports(exitCodeFor(result), reporterFailures);
}
