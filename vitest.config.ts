import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Resolve graphql as Node does (its CommonJS build), the one Apollo's packages load: otherwise
    // vite picks the ESM build and two copies of graphql meet (instanceof checks fail), which
    // never happens in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // One database server for the whole run (FerretDB, mongod or MONGODB_URI); each test file
    // gets its own databases on it.
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    // Services log warnings and errors only, unless LOG_LEVEL says otherwise: readable test output.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    hookTimeout: 120_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
