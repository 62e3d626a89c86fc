import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // What src/cli installs before a run (pid, CPU time, signals: src/host-process.ts), for tests that skip the CLI.
    setupFiles: ['test/helpers/install-host-process.ts'],
    // Integration tests share one PostgreSQL and one Redis: run files one at a time so that
    // Redis CONFIG changes and keyspace traffic of one file cannot leak into another's figures.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
