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
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      // Only src/cli touches the process (exit codes, argv, signals); everything else gets what it needs passed in.
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='process'][property.name=/^(exit|argv|stdout|stderr)$/]", message: 'Only src/cli may touch process.exit/argv/stdout/stderr.' },
      ],
    },
  },
  {
    files: ['src/probes/**/*.ts', 'src/sources/**/*.ts', 'src/engine/**/*.ts', 'src/load/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/report/reporters*', '**/report/console-reporter*', '**/cli/**'], message: 'Probes and the engine must not depend on reporters or the CLI.' }] }],
    },
  },
);
