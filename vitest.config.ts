import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';
import { KIT_SOURCE_CONDITION } from './scripts/kit-source.ts';

const require = createRequire(import.meta.url);
const KIT_CONDITIONS = [KIT_SOURCE_CONDITION, 'node', 'development|production'];

export default defineConfig({
  resolve: {
    // Resolve graphql as Node does (its CommonJS build), the one Apollo's packages load: otherwise
    // vite picks the ESM build and two copies of graphql meet (instanceof checks fail), which
    // never happens in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
    // The kit from its TypeScript sources (scripts/kit-source.ts: nothing is built for the tests),
    // then vitest's own conditions for Node; the tests run in vite's server (ssr) environment,
    // which takes its conditions from `ssr.resolve` below.
    conditions: KIT_CONDITIONS,
  },
  ssr: { resolve: { conditions: KIT_CONDITIONS } },
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
