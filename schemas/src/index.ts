export * from './attributes.js';
export * from './span-record.js';
export { MAX_NANOS } from './span-record-check.js';
export * from './alert.js';
export * from './clickhouse.js';
export { jsonSchemas } from './json-schema.js';
export * from './clickhouse-rowbinary.js';
