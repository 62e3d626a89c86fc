/**
 * `--reporter ndjson`: the run as it happens, one JSON object per line (schemas/stream.schema.json),
 * written synchronously so a reader tailing the file sees each line when it is measured (k6's
 * `--out json`). Events: spec (a spec starts), metrics (one second of a load scenario), verdict
 * (each budget judged, when its check ends), check (a check ended), probe-error, end (the run's
 * verdict and counts). Secrets are redacted in every string before a line is written.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { CheckResult, RunResult } from '../result/result.js';
import { redactDeep } from './redact.js';
import type { Reporter, ReporterContext, ReporterOptions } from './reporter.js';
import { standingOf } from '../verdict/types.js';

export const STREAM_FORMAT_VERSION = 1;
export const STREAM_FILE = 'perfspec-stream.ndjson';

export function createNdjsonReporter(ctx: ReporterContext, options: ReporterOptions): Reporter {
  const file = typeof options.outputFile === 'string' ? path.resolve(ctx.cwd, options.outputFile) : path.join(ctx.outDir, STREAM_FILE);
  let fd: number | undefined;
  const write = (event: Record<string, unknown>) => {
    if (fd === undefined) {
      mkdirSync(path.dirname(file), { recursive: true });
      fd = openSync(file, 'w');
      writeSync(fd, `${JSON.stringify({ type: 'stream', formatVersion: STREAM_FORMAT_VERSION, time: new Date().toISOString() })}\n`);
    }
    writeSync(fd, `${JSON.stringify(redactDeep({ type: event.type, time: new Date().toISOString(), ...event }, ctx.redact))}\n`);
  };
  let spec = '';
  return {
    name: 'ndjson',
    onSpecBegin(info) {
      spec = info.name;
      write({ type: 'spec', spec: info.name, file: info.file });
    },
    onMetrics(check, second) {
      write({ ...second, type: 'metrics', spec, check });
    },
    onCheckEnd(check: CheckResult) {
      for (const probe of check.probes) {
        if (probe.error) write({ type: 'probe-error', spec, check: check.name, probe: probe.kind, error: probe.error });
        for (const verdict of probe.verdicts) write({ type: 'verdict', spec, ...verdict, standing: standingOf(verdict) });
      }
      write({
        type: 'check',
        spec,
        check: check.name,
        section: check.section,
        status: check.status,
        durationMs: Math.round(check.durationMs),
        ...(check.sent ? { sent: check.sent } : {}),
      });
    },
    async onEnd(result: RunResult) {
      for (const item of result.specs) for (const error of item.errors) write({ type: 'spec-error', spec: item.name, error });
      write({ type: 'end', runId: result.runId, status: result.status, aborted: result.aborted, durationMs: result.durationMs, summary: result.summary });
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      return [file];
    },
  };
}
