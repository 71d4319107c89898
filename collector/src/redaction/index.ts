export type * from './api.js';
export { scanText, redactText } from './text.js';
export { scanValue, redactValue } from './value.js';
export { RULES, RULES_BY_ID, describeRules } from './rules.js';
export type { Rule, Detector, Matcher, Span } from './rule.js';
export { shannonEntropy } from './entropy.js';
export { luhnValid, ibanValid } from './checksums.js';
export { DEFAULT_MAX_BYTES } from './limits.js';
