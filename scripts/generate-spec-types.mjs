#!/usr/bin/env node
// Derives src/generated/spec-types.ts from schemas/perfspec.schema.json, so the schema stays the single
// source of truth for the spec language. With --check it fails (exit 1) when the committed file has drifted.
import { readFileSync, writeFileSync } from 'node:fs';
import { compile } from 'json-schema-to-typescript';

const schemaPath = new URL('../schemas/perfspec.schema.json', import.meta.url);
const outPath = new URL('../src/generated/spec-types.ts', import.meta.url);

const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
const banner = '/* Generated from schemas/perfspec.schema.json by scripts/generate-spec-types.mjs. Do not edit: run `npm run gen:types`. */';
const generated = await compile(schema, 'PerfspecSpec', {
  bannerComment: banner,
  additionalProperties: false,
  unreachableDefinitions: true,
  format: true,
  style: { singleQuote: true, printWidth: 120 },
});

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(outPath, 'utf8');
  } catch {
    // missing counts as drift
  }
  if (current !== generated) {
    console.error('src/generated/spec-types.ts is out of date with schemas/perfspec.schema.json: run `npm run gen:types` and commit.');
    process.exit(1);
  }
  console.log('spec types match the schema');
} else {
  writeFileSync(outPath, generated);
  console.log('wrote src/generated/spec-types.ts');
}
