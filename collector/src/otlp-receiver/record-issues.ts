import type { SpanRecord } from '@toolwatch/schemas';

type SchemaError = NonNullable<ReturnType<typeof SpanRecord.safeParse>['error']>;

const MAP_FIELDS = new Set(['SpanAttributes', 'ResourceAttributes', 'Attributes']);

/**
 * A rejected span record's schema issues by path and code. Attribute keys in a path are
 * replaced by `[key]`: a key is span content and may itself be a secret.
 */
export function describeRecordIssues(error: SchemaError, max = 5): string {
  const parts = error.issues.slice(0, max).map((issue) => {
    const path = issue.path.map((p, i) => (i > 0 && MAP_FIELDS.has(String(issue.path[i - 1])) ? '[key]' : String(p)));
    return `${path.length ? path.join('.') : '(root)'}: ${issue.code}`;
  });
  if (error.issues.length > max) parts.push(`… ${error.issues.length - max} more`);
  return parts.join('; ');
}
