/**
 * schemas/report.schema.json as a validator: a `--baseline` file is checked whole before anything
 * runs, so a malformed one is a command-line error (exit 2) instead of a crash after the run.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  // ajv is loaded here, on first use (only `--baseline` and `report` need it), not by every run that
  // imports this module: loading it costs every `perfspec run` about 30 ms of CPU.
  const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  ajv.addFormat('date-time', { type: 'string', validate: (text: string) => !Number.isNaN(Date.parse(text)) });
  compiled = ajv.compile(JSON.parse(readFileSync(new URL('../../schemas/report.schema.json', import.meta.url), 'utf8')) as object);
  return compiled;
}

/** Problems of a report, at most `limit`, as "specs[0].checks[1].probes[0].verdicts[0]: must have required property 'actual'". */
export function reportProblems(report: unknown, limit = 5): string[] {
  const validate = validator();
  if (validate(report)) return [];
  return (validate.errors ?? []).slice(0, limit).map(describe);
}

function describe(error: ErrorObject): string {
  const where = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
  return `${where || '(the report)'}: ${error.message ?? 'is invalid'}`;
}
