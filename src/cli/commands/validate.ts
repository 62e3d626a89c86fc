/** `perfspec validate`: every problem of every spec, with its position; exit 2 when there are any. */
import { ExitCode } from '../../errors.js';
import type { CliProcess } from '../process.js';
import { readOpenFileLimit } from '../../load/limits/open-file-limit.js';
import { loadAllSpecs, parseSetOptions, printProblems, printWarnings } from './load-all.js';

export async function validateCommand(proc: CliProcess, inputs: string[], options: { set: string[] }): Promise<number> {
  // The default scenarios are checked against this machine's open-file limit, as `run` would.
  const { specs, problems } = await loadAllSpecs(inputs, proc.env, parseSetOptions(options.set), { host: { openFiles: readOpenFileLimit() } });
  for (const spec of specs) {
    const warned = spec.warnings.length ? `, ${spec.warnings.length} warning${spec.warnings.length === 1 ? '' : 's'}` : '';
    proc.stdout.write(`✔ ${spec.file}: valid (${spec.spec.checks?.length ?? 0} checks${spec.spec.load ? ', load profile' : ''}${warned})\n`);
  }
  printWarnings((text) => proc.stderr.write(text), specs);
  if (problems.length === 0) return ExitCode.Pass;
  printProblems((text) => proc.stderr.write(text), problems);
  return ExitCode.InvalidInput;
}
