import { createRequire } from 'node:module';
import type { AlertRecord } from '@toolwatch/schemas';

export const PRODUCT = 'toolwatch';

/** The detector package's version: what CEF's Device Version and OCSF's product.version name. */
export const PRODUCT_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** Event times are nanosecond strings; SIEMs want milliseconds (OCSF, CEF) or ISO 8601 (ECS, PagerDuty). */
import { nsToMs } from '../session.js';

export { nsToMs };
export const nsToIso = (ns: string): string => new Date(nsToMs(ns)).toISOString();

/** `safe-mcp:SAFE-T1106` → `SAFE-T1106`; `owasp-mcp:MCP06:2025` → `MCP06:2025`. */
export const tagValues = (alert: AlertRecord, prefix: 'safe-mcp' | 'owasp-mcp'): string[] =>
  alert.tags.filter((t) => t.startsWith(`${prefix}:`)).map((t) => t.slice(prefix.length + 1));

/** The fields an analyst reads first, as one flat object: Splunk `fields`, PagerDuty details. */
export const alertSummaryFields = (alert: AlertRecord) => ({
  alert_id: alert.id,
  status: alert.status,
  revision: alert.revision,
  rule: alert.rule,
  kind: alert.kind,
  severity: alert.severity,
  score: alert.score,
  session_key: alert.sessionKey,
  session_score: alert.sessionScore,
  service: alert.serviceName,
  client: alert.clientName,
  client_version: alert.clientVersion,
  tool: alert.tool,
});
