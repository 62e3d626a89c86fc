/**
 * perfspec's command line: parse arguments, hand over to a command, map its outcome to an exit
 * code. Only this folder touches the process; everything below receives what it needs.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, isPerfspecError } from '../errors.js';
import { VERSION } from '../version.js';
import { installHostProcess } from '../host-process.js';
import type { CliProcess } from './process.js';
import { withRedaction } from './redacting-process.js';

import { DEFAULT_REPORTERS, REPORTER_NAMES } from '../report/reporter-names.js';

// Commands are imported when they are chosen, so `--version` and `--help` load neither the
// engine nor any probe (a command line starts like a small tool, not like the whole runner).

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function main(rawProc: CliProcess): Promise<number> {
  // pid, CPU time, signals and exit hooks below src/cli come from here (src/host-process.ts). Always the
  // real process: a test's fake CliProcess replaces what the user sees (argv, output), not the OS process.
  installHostProcess(process);
  const proc = withRedaction(rawProc);
  let exitCode: number = ExitCode.Pass;
  const program = new Command('perfspec')
    .description('Declarative performance validation: endpoint latency, query budgets, cache targets and load profiles from YAML specs.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (text) => proc.stdout.write(text), writeErr: (text) => proc.stderr.write(text) })
    .showHelpAfterError('(run perfspec --help for usage)');

  program
    .command('run')
    .description('Run specs (files or directories) and write reports.')
    .argument('<specs...>', 'spec files or directories of *.yaml')
    .option('-o, --out <dir>', 'directory for the report files', 'perfspec-reports')
    .option('-r, --reporter <list>', `comma-separated reporters: ${REPORTER_NAMES.join(',')}`, DEFAULT_REPORTERS.join(','))
    .option('--base-url <url>', 'override target.baseUrl of every spec')
    .option('--set <name=value>', 'set a variable, usable as ${vars.name} (repeatable)', collect, [])
    .option('--only <name>', 'run only checks and load scenarios whose name contains this text (repeatable)', collect, [])
    .option('--profile <name>', 'select a named load profile variant (e.g. quick or full)')
    .option('--baseline <report.json>', 'compare with an earlier run: its perfspec-report.json (before → after)')
    .option('--out-stream <file>', 'stream per-second metrics and each verdict as they happen, one JSON object per line (the ndjson reporter)')
    .option('--repeat <n>', 'measure every check n times and judge the median run (overrides repeat in the specs)')
    .option(
      '--shard <i/N>',
      'run shard i (from 0) of N of the load, and write perfspec-shard-i-of-N.json for perfspec merge (default: JOB_COMPLETION_INDEX with PERFSPEC_SHARDS or load.shards)',
    )
    .option('--start-at <time>', 'with --shard: begin the load at this instant on every shard (ISO time with zone, or epoch ms)')
    .option('--only-setup', 'run setup only and write its captured variables to perfspec-setup.json for the shards')
    .option('--setup-from <file>', 'skip setup and teardown; use the variables that --only-setup wrote')
    .action(async (specs: string[], options) => {
      const { runCommand } = await import('./commands/run.js');
      exitCode = await runCommand(proc, specs, options);
    });

  program
    .command('report')
    .description("Render reports from a saved result (perfspec-report.json) without measuring anything; exits with that run's code.")
    .argument('<result.json>', 'the perfspec-report.json of a run')
    .option('-o, --out <dir>', 'directory for the report files', 'perfspec-reports')
    .option('-r, --reporter <list>', `comma-separated reporters: ${REPORTER_NAMES.join(',')}`, DEFAULT_REPORTERS.join(','))
    .action(async (file: string, options) => {
      const { reportCommand } = await import('./commands/report.js');
      exitCode = await reportCommand(proc, file, options);
    });

  program
    .command('merge')
    .description('Merge the shard files of a distributed run into one judged report (exact: histograms are added, never averaged).')
    .argument('<inputs...>', 'shard files (perfspec-shard-*.json) or directories holding them')
    .option('-o, --out <dir>', 'directory for the report files', 'perfspec-reports')
    .option('-r, --reporter <list>', `comma-separated reporters: ${REPORTER_NAMES.join(',')}`, DEFAULT_REPORTERS.join(','))
    .action(async (inputs: string[], options) => {
      const { mergeCommand } = await import('./commands/merge.js');
      exitCode = await mergeCommand(proc, inputs, options);
    });

  program
    .command('validate')
    .description('Check specs against the schema and report every problem with its position.')
    .argument('<specs...>', 'spec files or directories of *.yaml')
    .option('--set <name=value>', 'variables that will be given with --set at run time (repeatable)', collect, [])
    .action(async (specs: string[], options) => {
      const { validateCommand } = await import('./commands/validate.js');
      exitCode = await validateCommand(proc, specs, options);
    });

  program
    .command('init')
    .description('Write a commented starter spec that validates.')
    .argument('[path]', 'where to write it', 'perfspec.yaml')
    .option('-f, --force', 'overwrite an existing file')
    .action(async (file: string, options) => {
      const { initCommand } = await import('./commands/init.js');
      exitCode = await initCommand(proc, file, options);
    });

  try {
    await program.parseAsync(proc.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with code 0; everything else commander rejects is a usage error.
      exitCode = error.exitCode === 0 ? ExitCode.Pass : ExitCode.InvalidInput;
    } else if (isPerfspecError(error)) {
      proc.stderr.write(`perfspec: ${error.message}\n${error.details.map((line) => `${line}\n`).join('')}${error.hint ? `hint: ${error.hint}\n` : ''}`);
      exitCode = error.exitCode;
    } else {
      proc.stderr.write(`perfspec: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      exitCode = ExitCode.Infrastructure;
    }
  }
  rawProc.exitCode = exitCode;
  rawProc.exit?.(exitCode);
  return exitCode;
}
