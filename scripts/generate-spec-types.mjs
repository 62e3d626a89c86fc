#!/usr/bin/env node
// Derives src/generated/spec-types.ts and src/generated/spec-validator.ts (ajv's validator compiled
// ahead of time, so no command pays ~150 ms compiling the schema at start-up) from
// schemas/perfspec.schema.json, so the schema stays the single source of truth for the spec language.
// With --check it fails (exit 1) when a committed file has drifted.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { compile } from 'json-schema-to-typescript';

const schemaPath = new URL('../schemas/perfspec.schema.json', import.meta.url);
const outPath = new URL('../src/generated/spec-types.ts', import.meta.url);
const validatorPath = new URL('../src/generated/spec-validator.ts', import.meta.url);

const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
const banner = '/* Generated from schemas/perfspec.schema.json by scripts/generate-spec-types.mjs. Do not edit: run `npm run gen:types`. */';
const generated = await compile(schema, 'PerfspecSpec', {
  bannerComment: banner,
  additionalProperties: false,
  unreachableDefinitions: true,
  format: true,
  style: { singleQuote: true, printWidth: 120 },
});

const validator = generateValidator(schema);

/**
 * ajv's standalone code for the schema, with the options src/spec/validate-schema.ts relies on
 * (every error, verbose: the rewritten messages read parentSchema and data). Format validators
 * are the project's own (src/spec/formats.ts), passed in at run time: here only their names matter.
 */
function generateValidator(schema) {
  const require = createRequire(import.meta.url);
  const { Ajv2020 } = require('ajv/dist/2020.js');
  const standaloneCode = require('ajv/dist/standalone').default;
  const { _ } = require('ajv');
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true, allowUnionTypes: true, code: { source: true, formats: _`require("perfspec:formats")` } });
  const names = new Set(JSON.stringify(schema).match(/"format":"[^"]+"/g).map((match) => match.slice(10, -1)));
  for (const name of [...names].sort()) ajv.addFormat(name, { type: 'string', validate: () => true });
  const code = standaloneCode(ajv, ajv.compile(schema));
  return [
    '/* Generated from schemas/perfspec.schema.json by scripts/generate-spec-types.mjs. Do not edit: run `npm run gen:types`. */',
    '// @ts-nocheck',
    "import { createRequire } from 'node:module';",
    '',
    'const requireRuntime = createRequire(import.meta.url);',
    '',
    '/** The schema validator (ajv standalone code, CommonJS inside); `formats` maps each format name to { type, validate }. */',
    'export function createSpecValidator(formats) {',
    '  const module = { exports: {} };',
    "  const require = (id) => (id === 'perfspec:formats' ? formats : requireRuntime(id));",
    `  ${code}`,
    '  return module.exports;',
    '}',
    '',
  ].join('\n');
}

const outputs = [
  [outPath, generated, 'src/generated/spec-types.ts'],
  [validatorPath, validator, 'src/generated/spec-validator.ts'],
];
if (process.argv.includes('--check')) {
  for (const [path, content, name] of outputs) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // missing counts as drift
    }
    if (current !== content) {
      console.error(`${name} is out of date with schemas/perfspec.schema.json: run \`npm run gen:types\` and commit.`);
      process.exit(1);
    }
  }
  console.log('spec types and validator match the schema');
} else {
  for (const [path, content, name] of outputs) {
    writeFileSync(path, content);
    console.log(`wrote ${name}`);
  }
}
