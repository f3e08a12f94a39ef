import { defineConfig } from 'vitest/config';

// Unit tests sit beside their code (*.test.ts, the console's in web/src too); integration tests
// (*.int.test.ts) in src/ and test/ run against real PostgreSQL: embedded (started once by the
// global setup) or DATABASE_URL.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
