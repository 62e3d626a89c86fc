// Lint: typescript-eslint's recommended rules plus the promise rules async probe code needs.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'perfspec-reports/**', '.tmp/**', 'src/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Prettier (npm run format) lays code out at 160 columns; what it cannot break — long messages in
      // strings and templates, URLs, regular expressions — is left whole rather than cut mid-sentence.
      'max-len': ['error', { code: 160, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      // Only src/cli touches the process (exit codes, argv, signals); everything else gets what it needs passed in.
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name=/^(exit|argv|stdout|stderr)$/]",
          message: 'Only src/cli may touch process.exit/argv/stdout/stderr.',
        },
      ],
    },
  },
  {
    // Layers, bottom up: units, metrics, spec, verdict, result (plain data) < sources, load < probes < engine
    // < report < cli. A layer imports only below itself (madge keeps it free of cycles: npm run check:cycles).
    files: [
      'src/probes/**/*.ts',
      'src/sources/**/*.ts',
      'src/engine/**/*.ts',
      'src/load/**/*.ts',
      'src/metrics/**/*.ts',
      'src/spec/**/*.ts',
      'src/verdict/**/*.ts',
      'src/units/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // report/redact is the one exception until the redaction helpers move below (branch faults merges them).
              group: ['**/report/**', '!**/report/redact*', '**/cli/**'],
              message: 'The engine, probes, sources and spec must not depend on reporting or the CLI; the result model is in src/result.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/result/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/engine/**', '**/probes/**', '**/load/**', '**/sources/**', '**/report/**', '**/cli/**'],
              message: 'The result model is plain data below every layer that produces or presents it.',
            },
          ],
        },
      ],
    },
  },
  {
    // Only src/cli reads the process: environment, cwd, clock and versions are handed in from there, and
    // what only a process has (pid, CPU time, signals, exit hooks) comes from the host process it installs
    // (src/host-process.ts). No exceptions below src/cli.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-globals': ['error', { name: 'process', message: 'Only src/cli may read the process; take what you need as a parameter.' }],
    },
  },
);
