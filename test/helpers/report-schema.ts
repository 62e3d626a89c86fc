/** Validate a perfspec-report.json object against schemas/report.schema.json; returns the problems. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addFormat('date-time', { type: 'string', validate: (text: string) => !Number.isNaN(Date.parse(text)) });
const validate = ajv.compile(JSON.parse(readFileSync(new URL('../../schemas/report.schema.json', import.meta.url), 'utf8')));

export function reportSchemaProblems(report: unknown): unknown[] {
  return validate(report) ? [] : (validate.errors ?? []);
}

const streamAjv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
streamAjv.addFormat('date-time', { type: 'string', validate: (text: string) => !Number.isNaN(Date.parse(text)) });
const validateStreamLine = streamAjv.compile(JSON.parse(readFileSync(new URL('../../schemas/stream.schema.json', import.meta.url), 'utf8')));

/** Validate one parsed line of perfspec-stream.ndjson against schemas/stream.schema.json. */
export function streamLineProblems(line: unknown): unknown[] {
  return validateStreamLine(line) ? [] : (validateStreamLine.errors ?? []);
}
