/**
 * A virtual user is a few fields, not a thread or a connection: its own captured variables, its
 * region, its iteration count. Ten thousand of them cost a few megabytes; they share the
 * generator's connection pools.
 */
import type { Row, TemplateScope } from '../../spec/interpolate.js';

export class VirtualUser {
  readonly scope: TemplateScope;
  /** Current back-off after the generator's own resource errors in a row (0: none); see resource-errors.ts. */
  resourceBackoffMs = 0;
  /** randomFirstThink: the next think step is this user's first and is drawn from [0, its max]. */
  firstThinkPending = false;

  constructor(
    readonly id: number,
    /** Index into the compiled regions. */
    readonly region: number,
    globals: Record<string, string>,
    runId: string,
    runStartedAt: string,
  ) {
    // Data rows are picked afresh for each iteration (see LoadGenerator.runIteration).
    const rows: Record<string, Row> = {};
    this.scope = { own: {}, globals, vuId: id, iteration: 0, rows, runId, runStartedAt };
  }
}
