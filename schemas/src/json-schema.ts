import { z } from 'zod';
import { AlertRecord, SessionScoreRecord } from './alert.js';
import { SpanRecord } from './span-record.js';

/** JSON Schema (draft 2020-12) of each record, for consumers that do not run zod:
 * ClickHouse Kafka-engine users, SIEM pipelines, other languages. */
export function jsonSchemas(): Record<string, object> {
  const build = (id: string, schema: z.ZodType) => ({
    $id: `urn:toolwatch:schema:${id}`,
    ...z.toJSONSchema(schema, { target: 'draft-2020-12' }),
  });
  return {
    'span-record': build('span-record', SpanRecord),
    'alert-record': build('alert-record', AlertRecord),
    'session-score-record': build('session-score-record', SessionScoreRecord),
  };
}
