/** Messages between the coordinator and load-worker threads (structured-clone data only). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Segment } from '../executors/context.js';
import type { TickReport } from '../metrics/tick.js';
import type { LoadScenarioConfig } from '../types.js';

export interface WorkerData {
  config: LoadScenarioConfig;
  segment: Segment;
  baseUrl: string;
  vars: Record<string, string>;
  runId: string;
  runStartedAt: string;
  baseDir: string;
}

export type WorkerCommand = { type: 'start'; epochMs: number } | { type: 'stop' };

export type WorkerReply = { type: 'ready' } | { type: 'tick'; report: TickReport } | { type: 'done' } | { type: 'error'; message: string };

/**
 * How to start the worker entry next to this module. Compiled (dist/…/.js) it is a plain file.
 * When the engine itself runs from TypeScript source (vitest, tsx), the worker is the .ts file and
 * needs tsx's loader, which a Node 20 worker neither inherits nor accepts through
 * `execArgv: ['--import', 'tsx']`; a two-line CommonJS bootstrap registers tsx's hooks in the
 * worker and then imports the entry.
 */
export function resolveWorkerEntry(moduleUrl: string): { entry: URL | string; eval: boolean } {
  if (!moduleUrl.endsWith('.ts')) return { entry: new URL('./load-worker.js', moduleUrl), eval: false };
  // The ESM build of tsx's API: its CommonJS build resolves its own chunks wrongly from eval code.
  const manifest = createRequire(moduleUrl).resolve('tsx/package.json');
  const exported = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'];
  const loader = pathToFileURL(join(dirname(manifest), exported.import.default)).href;
  const target = new URL('./load-worker.ts', moduleUrl).href;
  const bootstrap = `import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(target)}); });`;
  return { entry: bootstrap, eval: true };
}
