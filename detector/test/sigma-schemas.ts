/**
 * The Sigma 2.x rule formats as JSON Schemas (draft 2020-12), written here from the
 * specification text of SigmaHQ/sigma-specification, because no npm package ships the
 * upstream `json-schema/*.json` files and this machine cannot fetch them:
 *
 * - specification/sigma-rules-specification.md (v2.x): the components of a detection
 *   rule, "Log Source", "Detection" (search identifiers, field modifiers, condition),
 *   "Status", "Level", "Tags"; specification/sigma-appendix-modifiers.md for the modifier
 *   names; specification/sigma-appendix-tags.md for the `namespace.value` tag form.
 * - specification/sigma-correlation-rules-specification.md (v2.x, value_sum/value_avg/
 *   value_percentile/value_median since 2.1): "Correlation section" (type, rules,
 *   group-by, timespan as number + lowercase s/m/h/d, condition operators gt/gte/lt/lte/eq
 *   and `field`), and what each correlation type requires.
 *
 * Stricter than upstream in one way on purpose: unknown top-level keys are rejected, so
 * a typo in the generator fails here instead of being ignored by a SIEM.
 */

const uuid = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' };
const date = { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$' };
const status = { enum: ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] };
const level = { enum: ['informational', 'low', 'medium', 'high', 'critical'] };
const tags = { type: 'array', uniqueItems: true, items: { type: 'string', pattern: '^[a-z0-9_-]+\\.[a-z0-9._-]+$' } };
const falsepositives = {
  anyOf: [
    { type: 'string', minLength: 2 },
    { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 2 } },
  ],
};
const strings = { type: 'array', uniqueItems: true, items: { type: 'string' } };

const MODIFIERS = [
  'contains', 'startswith', 'endswith', 'all', 'base64', 'base64offset', 'utf16le', 'utf16be', 'wide', 'utf16',
  'windash', 're', 'i', 'm', 's', 'cidr', 'exists', 'cased', 'expand', 'fieldref', 'neq',
  'lt', 'lte', 'gt', 'gte', 'minute', 'hour', 'day', 'week', 'month', 'year',
];
/** `field`, or `field|modifier|…` with modifiers of the appendix; a bare `|re` is a keyword list. */
const fieldWithModifiers = `^[^|]*(\\|(${MODIFIERS.join('|')}))*$`;

const searchValue = { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }] };
const searchIdentifier = {
  anyOf: [
    // A map: field (with modifiers) to one value or a list of values (OR).
    {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: fieldWithModifiers },
      additionalProperties: { anyOf: [searchValue, { type: 'array', minItems: 1, items: searchValue }] },
    },
    // A list: keywords, or maps (OR of maps).
    { type: 'array', minItems: 1, items: { anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'object' }] } },
  ],
};

export const detectionRuleSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'toolwatch:sigma-detection-rule',
  type: 'object',
  required: ['title', 'logsource', 'detection'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 256 },
    id: uuid,
    name: { type: 'string', maxLength: 256 },
    taxonomy: { type: 'string', maxLength: 256 },
    related: {
      type: 'array',
      items: { type: 'object', required: ['id', 'type'], properties: { id: uuid, type: { enum: ['derived', 'obsolete', 'merged', 'renamed', 'similar'] } } },
    },
    status,
    description: { type: 'string', maxLength: 65535 },
    license: { type: 'string' },
    author: { type: 'string' },
    references: strings,
    date,
    modified: date,
    logsource: {
      type: 'object',
      additionalProperties: false,
      anyOf: [{ required: ['category'] }, { required: ['product'] }, { required: ['service'] }],
      properties: { category: { type: 'string' }, product: { type: 'string' }, service: { type: 'string' }, definition: { type: 'string' } },
    },
    detection: {
      type: 'object',
      required: ['condition'],
      properties: { condition: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string' } }] } },
      additionalProperties: searchIdentifier,
    },
    fields: strings,
    falsepositives,
    level,
    tags,
    scope: { type: 'array', items: { type: 'string', minLength: 2 } },
  },
} as const;

const needsField = { properties: { condition: { type: 'object', required: ['field'] } } };
const typed = (type: string) => ({ properties: { type: { const: type } }, required: ['type'] });

export const correlationRuleSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'toolwatch:sigma-correlation-rule',
  type: 'object',
  required: ['title', 'correlation'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 256 },
    id: uuid,
    name: { type: 'string', maxLength: 256 },
    status,
    description: { type: 'string', maxLength: 65535 },
    author: { type: 'string' },
    references: strings,
    date,
    modified: date,
    tags,
    falsepositives,
    level,
    generate: { type: 'boolean' },
    correlation: {
      type: 'object',
      required: ['type', 'rules', 'timespan'],
      additionalProperties: false,
      properties: {
        type: { enum: ['event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg', 'value_percentile', 'value_median'] },
        rules: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 2 } },
        aliases: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } },
        'group-by': { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } },
        timespan: { type: 'string', maxLength: 10, pattern: '^[1-9][0-9]*[smhd]$' },
        condition: {
          anyOf: [
            {
              type: 'object',
              additionalProperties: false,
              minProperties: 1,
              anyOf: ['gt', 'gte', 'lt', 'lte', 'eq'].map((op) => ({ required: [op] })),
              properties: {
                gt: { type: 'integer' },
                gte: { type: 'integer' },
                lt: { type: 'integer' },
                lte: { type: 'integer' },
                eq: { type: 'integer' },
                field: { anyOf: [{ type: 'string', minLength: 1, maxLength: 256 }, { type: 'array', minItems: 1, items: { type: 'string', maxLength: 256 } }] },
                percentile: { type: 'integer', minimum: 1, maximum: 100 },
              },
            },
            // temporal types may use an expression over the rule names instead
            { type: 'string', minLength: 1 },
          ],
        },
      },
      allOf: [
        // event_count and the value_* types count or aggregate per group: a numeric condition.
        ...['event_count', 'value_count', 'value_sum', 'value_avg', 'value_percentile', 'value_median'].map((t) => ({
          if: typed(t),
          then: { required: ['group-by', 'condition'], properties: { condition: { type: 'object' } } },
        })),
        ...['value_count', 'value_sum', 'value_avg', 'value_percentile', 'value_median'].map((t) => ({ if: typed(t), then: needsField })),
        { if: typed('value_percentile'), then: { properties: { condition: { type: 'object', required: ['percentile'] } } } },
        ...['temporal', 'temporal_ordered'].map((t) => ({ if: typed(t), then: { required: ['group-by'] } })),
      ],
    },
  },
} as const;
