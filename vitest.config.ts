import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (workspace: string) => fileURLToPath(new URL(`./${workspace}/src/index.ts`, import.meta.url));

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
    include: ['{schemas,collector,detector,dashboards,test}/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['test/global-setup.ts'],
    // chDB allows one data directory per process: each test file gets a process of its own.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
