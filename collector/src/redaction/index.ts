export type * from './api.js';
export { scanText, redactText } from './text.js';
export { scanValue, redactValue } from './value.js';
export { RULES, describeRules } from './rules.js';
export type { Rule } from './rule.js';
export { DEFAULT_MAX_BYTES as REDACTION_DEFAULT_MAX_BYTES } from './limits.js';
