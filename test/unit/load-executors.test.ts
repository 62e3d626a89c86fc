/**
 * The executor table: every executor registered by one line of registry.ts, named after its file,
 * declaring the keys its schema fragment adds; the planner asks the table, never a name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planScenario } from '../../src/load/plan/plan-scenario.js';
import { EXECUTOR_LIST, EXECUTOR_NAMES, executorNamed, impliedExecutor } from '../../src/load/executors/executor-table.js';
import * as registered from '../../src/load/executors/registry.js';
import type { Executor } from '../../src/load/executors/context.js';
import type { LoadScenarioConfig } from '../../src/load/types.js';

const dir = new URL('../../src/load/executors/', import.meta.url);
const lines = readFileSync(new URL('registry.ts', dir), 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('export'));

describe('the executor registry', () => {
  it('registers each executor with one line naming its file, and the file is named after the executor', () => {
    expect(lines.length).toBe(EXECUTOR_LIST.length);
    for (const line of lines) {
      const match = /^export \{ (\w+) \} from '\.\/([a-z-]+)\.js';$/.exec(line);
      expect(match, line).not.toBeNull();
      const [, binding, file] = match!;
      expect((registered as Record<string, Executor>)[binding].name).toBe(file);
    }
  });

  it('declares exactly the keys its schema fragment adds to a load scenario', () => {
    for (const executor of EXECUTOR_LIST) {
      const fragment = new URL(`${executor.name}.schema.json`, dir);
      const keys = existsSync(fragment) ? Object.keys(JSON.parse(readFileSync(fragment, 'utf8')).properties ?? {}) : [];
      expect([...(executor.configKeys ?? [])].sort(), executor.name).toEqual(keys.sort());
    }
  });

  it('lists the executors by name, one implied executor per model and shape', () => {
    expect([...EXECUTOR_NAMES]).toEqual([...EXECUTOR_NAMES].sort());
    for (const model of ['closed', 'open'] as const) {
      for (const flat of [true, false]) expect(impliedExecutor(model, flat).model).toBe(model);
    }
    expect(() => executorNamed('constant-vus', 'load scenario "x"')).toThrow(`load scenario "x": unknown executor "constant-vus"`);
  });

  it('an unknown executor in a scenario is a spec error listing the registered ones', () => {
    const config = { name: 'x', executor: 'constant-vus', users: 2, duration: '1s', flows: [] } as unknown as LoadScenarioConfig;
    expect(() => planScenario(config)).toThrow(expect.objectContaining({ code: 'PS_SPEC_INVALID', hint: `Use one of: ${EXECUTOR_NAMES.join(', ')}.` }));
  });
});
