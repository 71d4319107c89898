import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (workspace: string) => fileURLToPath(new URL(`./${workspace}/src/index.ts`, import.meta.url));

/** Soaks: tests that freeze a Kafka cluster for 30 s or wait out consumer-group
 * rebalances. They measure behaviour in time, so they run on their own (`npm run soak`,
 * vitest.soak.config.ts), one at a time, not beside the suite on the same two cores. */
export const KAFKA_TIMING = ['collector/test/exporters-outage.test.ts', 'test/detector-takeover.test.ts'];

export default defineConfig({
  resolve: {
    // Tests run on the TypeScript sources; `npm test` type-checks and builds them first.
    alias: {
      '@toolwatch/schemas': src('schemas'),
      '@toolwatch/collector': src('collector'),
      '@toolwatch/detector': src('detector'),
      '@toolwatch/dashboards': src('dashboards'),
    },
  },
  test: {
    globalSetup: ['test/global-setup.ts'],
    // chDB allows one data directory per process: each test file gets a process of its own.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    include: ['{schemas,collector,detector,dashboards,test}/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', ...KAFKA_TIMING],
  },
});
