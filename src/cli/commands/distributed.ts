/**
 * `perfspec run`'s options for runs spread over several machines: --shard i/N (or the
 * orchestrator's JOB_COMPLETION_INDEX), --start-at, --only-setup and --setup-from. Everything that
 * can be known before a request is sent is checked here, so a bad combination exits 2 at once.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PerfspecError } from '../../errors.js';
import type { DistributedOptions } from '../../engine/run-spec.js';
import { planScenario } from '../../load/plan/plan-scenario.js';
import { parseStartAt, resolveShard, type ShardId } from '../../load/shard/segments.js';
import { buildShardFile, extractShardData, sha256, shardFileName, type ShardIdentity } from '../../load/shard/shard-file.js';
import { selectScenarios, type LoadSection } from '../../probes/load/section.js';
import type { ShardRun } from '../../probes/types.js';
import { redactDeep, type Redactor } from '../../report/redact.js';
import { writeFileAtomic } from '../../report/reporters.js';
import type { RunResult } from '../../result/result.js';
import type { LoadedSpec } from '../../spec/load-spec.js';

export interface DistributedFlags {
  shard?: string;
  startAt?: string;
  onlySetup?: boolean;
  setupFrom?: string;
}

export interface DistributedRun {
  engine?: DistributedOptions;
  shard?: ShardRun;
  identity?: ShardIdentity;
  /** Set by --only-setup: the variables each spec's setup left, keyed by spec hash. */
  setupCaptures?: SetupFile['specs'];
}

export const SETUP_FILE_NAME = 'perfspec-setup.json';

interface SetupFile {
  kind: 'perfspec-setup';
  version: string;
  specs: Array<{ specHash: string; name: string; vars: Record<string, string> }>;
}

export function specHashOf(loaded: LoadedSpec): string {
  return sha256([loaded.source.text]);
}

/** The plans every shard must agree on: each selected scenario planned in full, with its thresholds. */
export function planHashOf(specs: LoadedSpec[], select: Record<string, string>): string {
  const parts = specs.map((loaded) => {
    const section = (loaded.spec as { load?: LoadSection }).load;
    if (!section) return 'no load';
    try {
      return JSON.stringify(selectScenarios(section, select).map(({ config }) => ({ plan: planScenario(config), thresholds: config.thresholds ?? null })));
    } catch (error) {
      return `unplannable: ${(error as Error).message}`;
    }
  });
  return sha256([JSON.stringify(select), ...parts]);
}

export async function prepareDistributed(
  flags: DistributedFlags,
  env: Record<string, string | undefined>,
  specs: LoadedSpec[],
  select: Record<string, string>,
  context: { cwd: string; version: string },
): Promise<DistributedRun> {
  const specCount = specs.map((s) => (s.spec as { load?: { shards?: number } }).load?.shards).find((n) => n !== undefined);
  const shardId: ShardId | undefined = flags.onlySetup ? undefined : resolveShard(flags.shard, env, specCount);
  if (flags.onlySetup && (flags.shard !== undefined || flags.startAt !== undefined || flags.setupFrom !== undefined)) {
    throw usage(
      '--only-setup runs setup alone; it takes neither --shard, --start-at nor --setup-from',
      'Run `perfspec run SPEC --only-setup` once, then each shard with --shard i/N --setup-from perfspec-reports/perfspec-setup.json.',
    );
  }
  if (flags.startAt !== undefined && !shardId) {
    throw usage(
      '--start-at aligns the shards of a distributed run; give --shard i/N (or JOB_COMPLETION_INDEX) with it',
      'perfspec run SPEC --shard 0/4 --start-at 2026-12-01T16:00:00Z',
    );
  }
  const startAtEpochMs = flags.startAt === undefined ? undefined : parseStartAt(flags.startAt);

  let handed: Map<string, Record<string, string>> | undefined;
  if (flags.setupFrom !== undefined) handed = await readSetupFile(path.resolve(context.cwd, flags.setupFrom), flags.setupFrom, specs);

  if (shardId) {
    for (const loaded of specs) {
      const load = (loaded.spec as { load?: LoadSection }).load;
      const planned = load ? selectScenarios(load, select).map(({ config }) => planScenario(config)) : [];
      const stepwise = planned.find((plan) => plan.stepMs !== undefined);
      if (stepwise) {
        throw usage(
          `${loaded.file}: load scenario "${stepwise.name}" (profile ${stepwise.profile}) stops at the step where the SLA breaks, which one shard cannot judge alone; it cannot be sharded`,
          'Run breakpoint scenarios on one machine (raise workers), or shard a scenario with fixed stages.',
        );
      }
      const captures = (loaded.spec.setup ?? []).some((step) => step.capture && Object.keys(step.capture).length > 0);
      if (shardId.index !== 0 && captures && !handed) {
        throw usage(
          `${loaded.file}: setup captures variables, and shard ${shardId.index}/${shardId.count} does not run setup (only shard 0 does)`,
          'Run `perfspec run SPEC --only-setup` once and give every shard --setup-from perfspec-reports/perfspec-setup.json.',
        );
      }
    }
  }

  const engine: DistributedOptions = {
    shard: shardId ? { ...shardId, startAtEpochMs } : undefined,
    setupFor: handed ? (loaded) => handed.get(specHashOf(loaded)) : undefined,
  };
  const run: DistributedRun = { engine, shard: engine.shard };
  if (flags.onlySetup) {
    run.setupCaptures = [];
    const captures = run.setupCaptures;
    engine.onlySetup = (loaded, vars) => captures.push({ specHash: specHashOf(loaded), name: loaded.spec.name, vars });
  }
  if (shardId) {
    run.identity = {
      version: context.version,
      specHash: sha256(specs.map(specHashOf)),
      planHash: planHashOf(specs, select),
      shard: shardId,
      specs: specs.map((s) => s.spec.name),
    };
  }
  return run;
}

async function readSetupFile(file: string, shown: string, specs: LoadedSpec[]): Promise<Map<string, Record<string, string>>> {
  let parsed: SetupFile;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as SetupFile;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not a JSON file';
    throw usage(`--setup-from ${shown}: ${reason}`, 'Pass the perfspec-setup.json that `perfspec run SPEC --only-setup` wrote.');
  }
  if (parsed?.kind !== 'perfspec-setup' || !Array.isArray(parsed.specs)) {
    throw usage(`--setup-from ${shown} is not a perfspec setup file`, 'Pass the perfspec-setup.json that `perfspec run SPEC --only-setup` wrote.');
  }
  const byHash = new Map(parsed.specs.map((entry) => [entry.specHash, entry.vars]));
  const absent = specs.filter((loaded) => (loaded.spec.setup ?? []).length > 0 && !byHash.has(specHashOf(loaded)));
  if (absent.length > 0) {
    throw usage(
      `--setup-from ${shown} holds no setup for ${absent.map((s) => s.file).join(', ')} (it was written for other specs, or the spec changed since)`,
      'Run --only-setup again with the same spec files.',
    );
  }
  return byHash;
}

/** After --only-setup: the captured variables, for the shards. They may hold secrets: owner-only file. */
export async function writeSetupFile(outDir: string, version: string, specs: SetupFile['specs']): Promise<string> {
  const file = path.join(outDir, SETUP_FILE_NAME);
  const content: SetupFile = { kind: 'perfspec-setup', version, specs };
  // Created owner-only (never readable by others, not even for a moment), then renamed into place.
  await mkdir(outDir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, file);
  return file;
}

/**
 * After a shard ran: move the encoded load data out of the result (so the shard's own reports stay
 * readable) and write the shard file beside them, with secrets redacted like every report.
 */
export async function writeShardFile(outDir: string, identity: ShardIdentity, result: RunResult, redact: Redactor): Promise<string> {
  const load = extractShardData(result);
  const file = path.join(outDir, shardFileName(identity.shard));
  // Histograms are base64 text: redacting inside them could corrupt them, so only labels are redacted.
  const labels = load.map((item) => ({
    ...item,
    check: redact(item.check),
    data: {
      ...item.data,
      entries: item.data.entries.map((e) => ({
        ...e,
        name: redact(e.name),
        flow: redact(e.flow),
        region: e.region === undefined ? undefined : redact(e.region),
      })),
      scenario: redactDeep(item.data.scenario, redact),
    },
  }));
  await writeFileAtomic(file, JSON.stringify(buildShardFile(redactDeep(identity, redact), redactDeep(result, redact), labels)));
  return file;
}

function usage(message: string, hint: string): PerfspecError {
  return new PerfspecError('PS_USAGE', message, { hint });
}
