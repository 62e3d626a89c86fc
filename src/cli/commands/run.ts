/** `perfspec run`: load every spec (all problems at once), run them, report, map the verdict to an exit code. */
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { describeError, ExitCode, PerfspecError } from '../../errors.js';
import { checkOnlyFilters } from '../../engine/plan.js';
import { runSpecs } from '../../engine/run.js';
import { loadTablesFor } from '../../probes/registry.js';
import { SecretRegistry } from '../../report/redact.js';
import { startEnvironment } from '../../report/environment.js';
import { createMultiplexer, createReporters } from '../../report/reporters.js';
import { ReportFileSet, removeStaleTempFiles } from '../../report/file-set.js';
import { reportProblems } from '../../report/report-schema.js';
import { readGitCommit } from '../../report/environment.js';
import type { RunResult } from '../../result/result.js';
import { createHttpClient } from '../../sources/http/undici-client.js';
import { FORMATS } from '../../spec/formats.js';
import { compareWithBaseline } from '../../verdict/baseline.js';
import type { CliProcess } from '../process.js';
import { createProgress } from '../progress.js';
import { VERSION } from '../../version.js';
import { readOpenFileLimit } from '../../load/limits/open-file-limit.js';
import { checkOutFor, exitCodeAfterReports, printWrittenFiles, readReportFile, reportersOrThrow } from './report-io.js';
import { loadAllSpecs, parseSetOptions, printProblems, printWarnings } from './load-all.js';
import { prepareDistributed, writeSetupFile, writeShardFile, type DistributedFlags } from './distributed.js';
import type { LoadedSpec } from '../../spec/load-spec.js';
import { sectionOf } from '../../probes/types.js';

export interface RunCommandOptions extends DistributedFlags {
  out: string;
  reporter: string;
  baseUrl?: string;
  set: string[];
  only: string[];
  profile?: string;
  baseline?: string;
  outStream?: string;
  repeat?: string;
}

export async function runCommand(proc: CliProcess, inputs: string[], options: RunCommandOptions): Promise<number> {
  const parsedReporters = reportersOrThrow(options.reporter);
  // --out-stream FILE is the ndjson reporter writing to FILE.
  const reporterList = options.outStream
    ? [...parsedReporters.filter(([name]) => name !== 'ndjson'), ['ndjson', { outputFile: options.outStream }] as const]
    : parsedReporters;
  if (options.baseUrl !== undefined && !FORMATS['http-url'].validate(options.baseUrl)) {
    throw new PerfspecError('PS_USAGE', `--base-url ${FORMATS['http-url'].explain(options.baseUrl)}`);
  }
  const repeat = options.repeat === undefined ? undefined : Number(options.repeat);
  if (repeat !== undefined && !(Number.isInteger(repeat) && repeat >= 1 && repeat <= 50)) {
    throw new PerfspecError('PS_USAGE', `--repeat expects a whole number from 1 to 50, got "${options.repeat}"`);
  }
  const setVars = parseSetOptions(options.set);
  const secrets = proc.secrets ?? new SecretRegistry();
  secrets.addEnvironment(proc.env);
  for (const [name, value] of Object.entries(setVars)) secrets.addVariable(name, value);
  const baseline = options.baseline === undefined ? undefined : await readBaseline(path.resolve(proc.cwd(), options.baseline), options.baseline);
  const outDir = await checkOutFor(proc, reporterList, options.out);

  // Everything knowable before a request is sent, the machine's open-file limit included (exit 2).
  const select: Record<string, string> = options.profile ? { profile: options.profile } : {};
  const { specs, problems } = await loadAllSpecs(inputs, proc.env, setVars, { select, host: { openFiles: readOpenFileLimit() } });
  if (problems.length > 0) {
    printProblems((text) => proc.stderr.write(text), problems);
    return ExitCode.InvalidInput;
  }
  if (baseline)
    refuseBaselineOfOtherSpecs(
      baseline,
      specs.map((loaded) => ({ name: loaded.spec.name, file: loaded.file })),
      options.baseline!,
    );
  printWarnings((text) => proc.stderr.write(text), specs);
  if (options.profile !== undefined) await checkSelections(specs, { profile: options.profile });

  checkOnlyFilters(
    specs,
    options.only,
    (
      await loadTablesFor(
        specs.map((loaded) => loaded.spec),
        { services: false },
      )
    ).specProbes,
    select,
  );
  const distributed = await prepareDistributed(options, proc.env, specs, select, { cwd: proc.cwd(), version: VERSION });

  // Values that must never reach a report or log: secret-looking environment variables and
  // --set values, plus every variable captured in setup (added by the engine as they appear).
  const redact = secrets.redact;

  const progress = createProgress({ stream: proc.stderr, redact, now: () => performance.now() });
  const files = new ReportFileSet();
  const reporterCtx = { outDir, stdout: proc.stdout, redact, color: Boolean(proc.stdout.isTTY), files, env: proc.env, cwd: proc.cwd() };
  let reporterFailures = 0;
  const multiplexer = createMultiplexer(createReporters(reporterList, reporterCtx), (name, error) => {
    reporterFailures += 1;
    proc.stderr.write(`perfspec: the ${name} reporter failed: ${redact(firstLine(describeError(error)))}\n`);
  });

  const controller = new AbortController();
  let interrupts = 0;
  let writingReports = false;
  const onSignal = () => {
    interrupts += 1;
    progress.clear();
    if (writingReports) {
      // The reports are being written as one set: the first signal lets the set finish, a second
      // one rolls it back (the previous run's files stay whole) and quits.
      if (interrupts === 1) proc.stderr.write('\nperfspec: interrupted — finishing the report files (Ctrl-C again to discard them and quit at once)\n');
      else {
        files.rollback();
        proc.exit?.(ExitCode.Aborted);
      }
      return;
    }
    if (interrupts === 1) {
      proc.stderr.write('\nperfspec: interrupted — stopping the load, restoring services and writing the partial report (Ctrl-C again to quit at once)\n');
      controller.abort();
    } else {
      proc.exit?.(ExitCode.Aborted);
    }
  };
  proc.on('SIGINT', onSignal);
  proc.on('SIGTERM', onSignal);

  const tables = await loadTablesFor(specs.map((loaded) => loaded.spec));
  const http = createHttpClient();
  let result: RunResult;
  try {
    result = await runSpecs(specs, {
      http,
      tables,
      signal: controller.signal,
      progress: { update: progress.update, info: progress.info, metrics: (check, second) => multiplexer.onMetrics(check, second) },
      now: () => performance.now(),
      wallClock: () => new Date(),
      version: VERSION,
      baseUrlOverride: options.baseUrl,
      setVars,
      only: options.only,
      repeat,
      select,
      secrets,
      distributed: distributed.engine,
      host: { env: proc.env, cwd: proc.cwd() },
      startEnvironment: (version) => startEnvironment(version, process.version),
      onSpecBegin: (loaded) => {
        progress.clear();
        multiplexer.onSpecBegin({ file: loaded.file, name: loaded.spec.name });
      },
      onCheckEnd: (check) => {
        progress.clear();
        multiplexer.onCheckEnd(check);
      },
    });
  } finally {
    await http.close();
    progress.clear();
  }

  const interruptsBeforeWriting = interrupts;
  writingReports = true;
  let written: string[];
  try {
    const commit = result.environment ? await readGitCommit(proc.cwd()) : undefined;
    if (result.environment && commit) result.environment.git = commit;
    if (baseline) result.comparison = compareWithBaseline(result, baseline);
    removeStaleTempFiles(outDir);
    const handedOn: string[] = [];
    if (distributed.identity) handedOn.push(await writeShardFile(reporterCtx.outDir, distributed.identity, result, redact));
    if (distributed.setupCaptures) handedOn.push(await writeSetupFile(reporterCtx.outDir, VERSION, distributed.setupCaptures));
    written = [...(await multiplexer.onEnd(result)), ...handedOn];
    written.push(
      ...files.commit((file, error) => {
        reporterFailures += 1;
        proc.stderr.write(`perfspec: could not write ${path.relative(proc.cwd(), file) || file}: ${redact(firstLine(describeError(error)))}\n`);
      }),
    );
  } catch (error) {
    files.rollback();
    throw error;
  } finally {
    files.rollback(); // no-op after a commit; removes temp files on any other way out
    proc.off('SIGINT', onSignal);
    proc.off('SIGTERM', onSignal);
  }
  printWrittenFiles(proc, written);
  if (interrupts > interruptsBeforeWriting) return ExitCode.Aborted;
  if (distributed.shard && result.status === 'failed' && reporterFailures === 0) {
    // A shard judged only its share: its budgets are judged by `perfspec merge`, so a failed
    // budget here is no failure of the shard (an orchestrator would otherwise retry it).
    proc.stdout.write(
      `Shard ${distributed.shard.index}/${distributed.shard.count}: budgets are judged on the merged data: run perfspec merge over all shard files.\n`,
    );
    return ExitCode.Pass;
  }
  const code = exitCodeFor(result);
  return exitCodeAfterReports(code, reporterFailures);
}

function firstLine(text: string): string {
  return text.split('\n')[0].slice(0, 500);
}

/** `--profile nope` is a usage error before anything runs, not a failure after setup. */
async function checkSelections(specs: LoadedSpec[], select: Record<string, string>): Promise<void> {
  const problems: string[] = [];
  let sections = 0;
  for (const loaded of specs) {
    for (const probe of (await loadTablesFor([loaded.spec], { services: false })).specProbes) {
      const section = sectionOf(loaded.spec, probe.key);
      if (section === undefined || !probe.checkSelect) continue;
      sections += 1;
      problems.push(...probe.checkSelect(section, select).map((message) => `${loaded.file}: ${message}`));
    }
  }
  if (sections === 0) {
    throw new PerfspecError('PS_USAGE', `--profile ${select.profile}: no spec given has a load section to select from`, {
      hint: 'Drop --profile, or add a load section with scenarios.',
    });
  }
  if (problems.length > 0) {
    throw new PerfspecError('PS_USAGE', problems[0], {
      details: problems.slice(1).map((line) => `  ${line}`),
      hint: 'Pick one of the scenarios named under load.scenarios.',
    });
  }
}

async function readBaseline(file: string, shown: string): Promise<RunResult> {
  const parsed = await readReportFile(file, `--baseline ${shown}`, 'Pass the perfspec-report.json of an earlier run.');
  // Checked whole against the report schema now, so a damaged file cannot crash the run at its end.
  const problems = reportProblems(parsed);
  if (problems.length > 0) {
    throw new PerfspecError('PS_USAGE', `--baseline ${shown} does not match schemas/report.schema.json`, {
      details: problems.map((problem) => `  ${problem}`),
      hint: 'Pass the perfspec-report.json of an earlier run, unchanged.',
    });
  }
  return parsed;
}

/**
 * A baseline must be a report of (at least one of) the specs being run: comparing with another
 * spec's report would match nothing and say nothing, silently. Specs are matched by name, the key
 * the comparison uses, so a baseline from before the spec's budgets changed is still accepted.
 */
export function refuseBaselineOfOtherSpecs(baseline: RunResult, specs: Array<{ name: string; file: string }>, shown: string): void {
  const names = new Set(baseline.specs.map((spec) => spec.name));
  if (specs.some((spec) => names.has(spec.name))) return;
  const describe = (list: Array<{ name: string; file: string }>) => list.map((spec) => `"${spec.name}" (${spec.file})`).join(', ') || 'no spec';
  throw new PerfspecError('PS_USAGE', `--baseline ${shown} is a report of ${describe(baseline.specs)}, not of ${describe(specs)}: nothing to compare`, {
    hint: 'Pass the perfspec-report.json of an earlier run of the same spec.',
  });
}

export function exitCodeFor(result: RunResult): number {
  if (result.aborted) return ExitCode.Aborted;
  if (result.status === 'error') return ExitCode.Infrastructure;
  if (result.status === 'failed') return ExitCode.BudgetFailed;
  return ExitCode.Pass;
}
