import { defineConfig } from 'vitest/config';
import base, { KAFKA_TIMING } from './vitest.config.js';

/** `npm run soak`: the Kafka outage and consumer-group takeover tests, one file at a time. */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: KAFKA_TIMING,
    exclude: ['**/node_modules/**', '**/dist/**'],
    fileParallelism: false,
    testTimeout: 120_000,
  },
});
