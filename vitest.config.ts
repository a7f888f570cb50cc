import { defineConfig } from 'vitest/config';

/**
 * One `vitest run` runs every test: unit and integration (fast, in parallel) and end-to-end
 * (Playwright driving Chromium against the web mode; one file at a time, longer timeouts).
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{core,adapters,electron,native-protocol,test,bench}/**/*.test.ts'],
          exclude: ['test/e2e/**', 'node_modules/**', 'dist/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
