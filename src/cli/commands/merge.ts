/**
 * `perfspec merge DIR|FILES… --out DIR`: the shard files of one distributed run → one report,
 * judged on the merged data only, through every reporter. Shards of different specs, plans, shard
 * counts or perfspec versions are refused (exit 2); a missing shard is reported (exit 3) instead
 * of judging a part as the whole.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, PerfspecError } from '../../errors.js';
import { assembleResult } from '../../engine/run.js';
import { mergeShards } from '../../load/shard/merge-results.js';
import { checkShardSet, isShardFile, type NamedShard } from '../../load/shard/shard-file.js';
import { SecretRegistry } from '../../report/redact.js';
import { createMultiplexer, createReporters } from '../../report/reporters.js';
import type { CliProcess } from '../process.js';
import { checkOutFor, exitCodeAfterReports, printWrittenFiles, reportersOrThrow } from './report-io.js';
import { exitCodeFor } from './run.js';

export interface MergeCommandOptions {
  out: string;
  reporter: string;
}

const SHARD_FILE = /^perfspec-shard-\d+-of-\d+\.json$/;

export async function mergeCommand(proc: CliProcess, inputs: string[], options: MergeCommandOptions): Promise<number> {
  const reporters = reportersOrThrow(options.reporter);
  const outDir = await checkOutFor(proc, reporters, options.out);
  const files: string[] = [];
  for (const input of inputs) files.push(...(await shardFilesIn(path.resolve(proc.cwd(), input), input)));
  const shards: NamedShard[] = [];
  for (const file of files)
    shards.push({ source: path.relative(proc.cwd(), file) || file, file: await readShard(file, path.relative(proc.cwd(), file) || file) });

  const problems = checkShardSet(shards);
  if (problems.length > 0) {
    const missingOnly = problems.every((p) => p.kind === 'missing');
    proc.stderr.write(
      `perfspec: cannot merge ${shards.length} shard file${shards.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p.message}`).join('\n')}\n`,
    );
    proc.stderr.write(
      missingOnly
        ? 'hint: a shard did not finish or its file was not collected; rerun it (same spec, --shard i/N) or collect every perfspec-shard-*.json.\n'
        : 'hint: merge only the shard files of one run: same spec files, same --profile, same perfspec version, one shard count.\n',
    );
    return missingOnly ? ExitCode.Infrastructure : ExitCode.InvalidInput;
  }

  const result = mergeShards(shards, assembleResult);
  // The same registry as `run`: secret-named environment values, decided by their shape too.
  const secrets = new SecretRegistry();
  secrets.addEnvironment(proc.env);
  const redact = secrets.redact;
  const reporterCtx = { outDir, stdout: proc.stdout, redact, color: Boolean(proc.stdout.isTTY), env: proc.env, cwd: proc.cwd() };
  let reporterFailures = 0;
  const multiplexer = createMultiplexer(createReporters(reporters, reporterCtx), (name, error) => {
    reporterFailures += 1;
    proc.stderr.write(`perfspec: the ${name} reporter failed: ${redact(error instanceof Error ? error.message : String(error))}\n`);
  });
  for (const spec of result.specs) {
    multiplexer.onSpecBegin({ file: spec.file, name: spec.name });
    for (const check of spec.checks) multiplexer.onCheckEnd(check);
  }
  const written = await multiplexer.onEnd(result);
  printWrittenFiles(proc, written, `Merged ${shards.length} shards. `);
  return exitCodeAfterReports(exitCodeFor(result), reporterFailures);
}

/** A shard file, or every perfspec-shard-*.json under a directory (artifact downloads nest them). */
async function shardFilesIn(target: string, shown: string): Promise<string[]> {
  let info;
  try {
    info = await stat(target);
  } catch {
    throw new PerfspecError('PS_USAGE', `${shown}: no such file or directory`, {
      hint: 'Pass the shard files (perfspec-shard-*.json) or the directory they were collected into.',
    });
  }
  if (!info.isDirectory()) return [target];
  const found: string[] = [];
  for (const entry of await readdir(target, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && SHARD_FILE.test(entry.name)) found.push(path.join(entry.parentPath ?? target, entry.name));
  }
  return found.sort();
}

async function readShard(file: string, shown: string) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw new PerfspecError('PS_USAGE', `${shown} is not a JSON file`, { hint: 'Pass the perfspec-shard-*.json files that `perfspec run --shard i/N` wrote.' });
  }
  if (!isShardFile(parsed))
    throw new PerfspecError('PS_USAGE', `${shown} is not a perfspec shard file`, {
      hint: 'Pass the perfspec-shard-*.json files that `perfspec run --shard i/N` wrote.',
    });
  return parsed;
}
