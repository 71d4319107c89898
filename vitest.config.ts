import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (workspace: string) => fileURLToPath(new URL(`./${workspace}/src/index.ts`, import.meta.url));

/** Tests that freeze a Kafka cluster or wait out consumer-group rebalances: they measure
 * behaviour in time, so they run after everything else, not beside the main suite's
 * tests competing for the same two cores. */
const KAFKA_TIMING = ['collector/test/exporters-outage.test.ts', 'test/detector-takeover.test.ts'];

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
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['{schemas,collector,detector,dashboards,test}/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', ...KAFKA_TIMING],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'kafka-timing',
          include: KAFKA_TIMING,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
