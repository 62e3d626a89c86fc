/** Validate a perfspec-report.json object against schemas/report.schema.json; returns the problems. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addFormat('date-time', { type: 'string', validate: (text: string) => !Number.isNaN(Date.parse(text)) });
const validate = ajv.compile(JSON.parse(readFileSync(new URL('../../schemas/report.schema.json', import.meta.url), 'utf8')));

export function reportSchemaProblems(report: unknown): unknown[] {
  return validate(report) ? [] : (validate.errors ?? []);
}
