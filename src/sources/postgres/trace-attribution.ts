/**
 * Statements per request: what the proxy counts for each trace id it read from the statements'
 * sqlcommenter comments (sqlcommenter.ts), so a load test can say how many statements each request
 * ran — under full concurrency, whatever the app's language. Statements without a trace id are
 * counted as unattributed (per shape, so a report can show which ones).
 *
 * Memory: a few numbers per trace and one small map of shape counts; traces beyond `maxTraces` are
 * not kept one by one but counted (overflowTraces / overflowStatements) so a long run cannot exhaust
 * memory. Readers take the traces they own (by trace-id prefix) when their run ends.
 */

export interface TraceCounters {
  traceId: string;
  statements: number;
  errors: number;
  /** Summed DB time (as the proxy clocks it, see wire-tracker.ts). */
  dbMs: number;
  /** Statements per statement shape (statement-shape.ts). */
  shapes: Map<number, number>;
}

export interface UnattributedCounters {
  statements: number;
  shapes: Map<number, number>;
}

export const DEFAULT_MAX_TRACES = 200_000;

export class TraceAttribution {
  private readonly traces = new Map<string, TraceCounters>();
  private readonly unattributedShapes = new Map<number, number>();
  /** The first text seen per shape, to name groups in reports (bounded like the shapes). */
  private readonly texts = new Map<number, string>();
  unattributed = 0;
  attributed = 0;
  overflowTraces = 0;
  overflowStatements = 0;

  constructor(
    private readonly maxTraces = DEFAULT_MAX_TRACES,
    private readonly maxTexts = 2000,
  ) {}

  /** Whether the text of a shape is known already (the tracker decodes text only for new shapes). */
  knowsText(shape: number): boolean {
    return this.texts.has(shape) || this.texts.size >= this.maxTexts;
  }

  describe(shape: number, text: string): void {
    if (this.texts.size < this.maxTexts && !this.texts.has(shape)) this.texts.set(shape, text);
  }

  textOf(shape: number): string | undefined {
    return this.texts.get(shape);
  }

  add(traceId: string | undefined, shape: number, durationMs: number, failed: boolean): void {
    if (traceId === undefined) {
      this.unattributed++;
      this.unattributedShapes.set(shape, (this.unattributedShapes.get(shape) ?? 0) + 1);
      return;
    }
    this.attributed++;
    let trace = this.traces.get(traceId);
    if (trace === undefined) {
      if (this.traces.size >= this.maxTraces) {
        this.overflowStatements++;
        return;
      }
      trace = { traceId, statements: 0, errors: 0, dbMs: 0, shapes: new Map() };
      this.traces.set(traceId, trace);
    }
    trace.statements++;
    if (failed) trace.errors++;
    trace.dbMs += durationMs;
    trace.shapes.set(shape, (trace.shapes.get(shape) ?? 0) + 1);
  }

  /** Remove and return the traces whose id starts with `prefix` (one load run's own). */
  take(prefix: string): TraceCounters[] {
    const out: TraceCounters[] = [];
    for (const [id, trace] of this.traces) {
      if (id.startsWith(prefix)) {
        out.push(trace);
        this.traces.delete(id);
      }
    }
    return out;
  }

  /** A copy of the unattributed counts so far (a reader subtracts a snapshot taken at its start). */
  unattributedSnapshot(): UnattributedCounters {
    return { statements: this.unattributed, shapes: new Map(this.unattributedShapes) };
  }

  get traceCount(): number {
    return this.traces.size;
  }
}

/** Unattributed statements between two snapshots, per shape. */
export function unattributedSince(before: UnattributedCounters, after: UnattributedCounters): UnattributedCounters {
  const shapes = new Map<number, number>();
  for (const [shape, count] of after.shapes) {
    const delta = count - (before.shapes.get(shape) ?? 0);
    if (delta > 0) shapes.set(shape, delta);
  }
  return { statements: after.statements - before.statements, shapes };
}
