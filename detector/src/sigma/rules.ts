import { OWASP_MCP_TOP10, PATH_FINDING_RULES, PII_FINDING_RULES } from '@toolwatch/schemas';
import type { RulesConfig } from '../config.js';
import { F, logsource, type McpService } from './logsource.js';
import { sigmaTimespan } from './timespan.js';
import { uuidV5 } from './uuid.js';
import type { YamlValue } from './yaml.js';

/** What Sigma needs that the detector's configuration does not hold. */
export interface SigmaOptions {
  /** Distinct tools per session: a hunting rule of Sigma's own (no detector scorer). */
  distinctTools?: { maxTools: number; windowMs: number };
  /** The detector sums a whole session's egress; a SIEM needs a window: this one. */
  egressWindowMs?: number;
}

export const SIGMA_DEFAULTS = {
  distinctTools: { maxTools: 10, windowMs: 5 * 60_000 },
  egressWindowMs: 60 * 60_000,
} as const;

export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export type SigmaRule = { [key: string]: YamlValue };
export interface SigmaFile {
  /** File name: lowercase letters, digits and `_`, `.yml`; correlations start `mr_`. */
  file: string;
  kind: 'detection' | 'correlation';
  rule: SigmaRule;
}

const AUTHOR = 'toolwatch';
const id = (name: string) => uuidV5(`toolwatch/sigma/${name}`);

interface DetectionSpec {
  name: string;
  title: string;
  service: McpService;
  description: string;
  detection: { [key: string]: YamlValue };
  fields: string[];
  falsepositives: string[];
  level: Level;
  tags: string[];
}

function detectionRule(s: DetectionSpec): SigmaFile {
  return {
    file: `${s.name}.yml`,
    kind: 'detection',
    rule: {
      title: s.title,
      id: id(s.name),
      name: s.name,
      status: 'experimental',
      description: s.description,
      author: AUTHOR,
      tags: s.tags,
      logsource: logsource(s.service),
      detection: s.detection,
      fields: s.fields,
      falsepositives: s.falsepositives,
      level: s.level,
    },
  };
}

interface CorrelationSpec {
  name: string;
  title: string;
  description: string;
  type: 'event_count' | 'value_count' | 'value_sum';
  rules: string[];
  groupBy: string[];
  timespanMs: number;
  condition: { [op: string]: YamlValue };
  falsepositives: string[];
  level: Level;
  tags: string[];
}

function correlationRule(s: CorrelationSpec): SigmaFile {
  return {
    file: `mr_${s.name}.yml`,
    kind: 'correlation',
    rule: {
      title: s.title,
      id: id(s.name),
      name: s.name,
      status: 'experimental',
      description: s.description,
      author: AUTHOR,
      tags: s.tags,
      correlation: {
        type: s.type,
        rules: s.rules,
        'group-by': s.groupBy,
        timespan: sigmaTimespan(s.timespanMs),
        condition: s.condition,
      },
      falsepositives: s.falsepositives,
      level: s.level,
    },
  };
}

/** The OWASP MCP Top 10 ids of a toolwatch rule as Sigma tags (`namespace.value`, lower case). */
const owasp = (rule: string): string[] => (OWASP_MCP_TOP10[rule] ?? []).map((id) => `owasp-mcp.${id.toLowerCase().replace(':', '-')}`);

const CONTENT_METHODS = ['tools/call', 'resources/read', 'prompts/get'];
// Findings hold rule -> count as compact JSON. These rules find personal data or paths,
// not secrets (the redactor's rule ids); a findings object made only of them is no secret.
const NOT_SECRET_RULES = [...PII_FINDING_RULES, ...PATH_FINDING_RULES];
const ONLY_NOT_SECRETS = `^\\{"(?:${NOT_SECRET_RULES.join('|')})":\\d+(?:,"(?:${NOT_SECRET_RULES.join('|')})":\\d+)*\\}$`;

/** The base rules: one per kind of MCP span, matching every span of that kind. */
function baseRules(): SigmaFile[] {
  return [
    detectionRule({
      name: 'mcp_tool_call',
      title: 'MCP tool call',
      service: 'tool_call',
      description: 'Every tools/call request an MCP server handled. Informational: the base of the rate, loop and distinct-tool correlations.',
      detection: { selection: { [F.method]: 'tools/call' }, condition: 'selection' },
      fields: [F.session, F.tool, F.argsHash, F.client],
      falsepositives: ['Every tool call matches: use through the correlation rules'],
      level: 'informational',
      tags: ['attack.execution'],
    }),
    detectionRule({
      name: 'mcp_tools_list',
      title: 'MCP tools/list answered',
      service: 'tools_list',
      description: 'Every tools/list request an MCP server answered, with the hash of each advertised tool definition. Informational: what a session was offered.',
      detection: { selection: { [F.method]: 'tools/list' }, condition: 'selection' },
      fields: [F.session, 'toolwatch.tools.definitions', F.client],
      falsepositives: ['Every tools/list matches'],
      level: 'informational',
      tags: ['attack.discovery'],
    }),
    detectionRule({
      name: 'mcp_content_to_client',
      title: 'MCP response carrying content to the client',
      service: 'session',
      description: 'Tool results, resource reads and prompts sent back to an MCP client, with their size in bytes. Informational: the base of the session egress correlation.',
      detection: { selection: { [F.method]: CONTENT_METHODS, [`${F.responseBytes}|exists`]: true }, condition: 'selection' },
      fields: [F.session, F.tool, F.responseBytes, F.client],
      falsepositives: ['Every such response matches: use through the egress correlation'],
      level: 'informational',
      tags: ['attack.collection'],
    }),
  ];
}

function correlations(rules: RulesConfig, o: Required<SigmaOptions>): SigmaFile[] {
  const { windowMs, maxCalls, identical } = rules.rate;
  const { maxSessionBytes } = rules.egress;
  const sliding = 'The detector counts in a sliding window; a SIEM that counts in fixed windows can miss a burst split across two.';
  return [
    correlationRule({
      name: 'mcp_session_call_rate',
      title: 'High-frequency MCP tool calls in one session',
      description: `More than ${maxCalls} tool calls in ${sigmaTimespan(windowMs)} in one MCP session: an agent in a loop or driven to exhaust a server (toolwatch rule rate.session_window, threshold from the detector configuration rate.maxCalls and rate.windowMs). ${sliding}`,
      type: 'event_count',
      rules: ['mcp_tool_call'],
      groupBy: [F.session],
      timespanMs: windowMs,
      condition: { gt: maxCalls },
      falsepositives: ['Batch jobs that call one tool many times on purpose'],
      level: 'medium',
      tags: ['attack.impact', 'attack.t1499', 'safe-mcp.safe-t1106', ...owasp('rate.session_window')],
    }),
    correlationRule({
      name: 'mcp_identical_call_loop',
      title: 'Same MCP tool call repeated in one session',
      description: `${identical.hardLimit} or more calls of one tool with the same canonical arguments (toolwatch.arguments.hash) in ${sigmaTimespan(identical.windowMs)} in one session: an agent stuck in a loop (SAFE-T1106 hard rule; toolwatch rule rate.identical_calls, configuration rate.identical.hardLimit and windowMs; the detector also learns a lower limit per client, which Sigma cannot). ${sliding}`,
      type: 'event_count',
      rules: ['mcp_tool_call'],
      groupBy: [F.session, F.tool, F.argsHash],
      timespanMs: identical.windowMs,
      condition: { gte: identical.hardLimit },
      falsepositives: ['Polling a status tool with the same arguments'],
      level: 'medium',
      tags: ['attack.impact', 'safe-mcp.safe-t1106', ...owasp('rate.identical_calls')],
    }),
    correlationRule({
      name: 'mcp_session_distinct_tools',
      title: 'Many different MCP tools called in one session',
      description: `More than ${o.distinctTools.maxTools} distinct tools (gen_ai.tool.name) called in ${sigmaTimespan(o.distinctTools.windowMs)} in one session, where a task takes about 5 to 8 calls: capability mapping or an agent trying what it can reach. A hunting rule; the toolwatch detector has no scorer for it.`,
      type: 'value_count',
      rules: ['mcp_tool_call'],
      groupBy: [F.session],
      timespanMs: o.distinctTools.windowMs,
      condition: { field: F.tool, gt: o.distinctTools.maxTools },
      falsepositives: ['Test suites and agents that exercise every tool of a server'],
      level: 'low',
      tags: ['attack.discovery', 'detection.threat-hunting'],
    }),
    correlationRule({
      name: 'mcp_session_egress_bytes',
      title: 'Large data egress to an MCP client in one session',
      description: `More than ${maxSessionBytes} bytes of tool results, resources and prompts (sum of toolwatch.response.bytes) sent to one session in ${sigmaTimespan(o.egressWindowMs)} (toolwatch rule egress.session_bytes, threshold from the detector configuration egress.maxSessionBytes). The detector sums the whole session, however long; here the window bounds it. toolwatch.response.bytes is a decimal string: the backend must read it as a number.`,
      type: 'value_sum',
      rules: ['mcp_content_to_client'],
      groupBy: [F.session],
      timespanMs: o.egressWindowMs,
      condition: { field: F.responseBytes, gt: maxSessionBytes },
      falsepositives: ['Legitimate exports and large file reads'],
      level: 'medium',
      tags: ['attack.collection', 'attack.exfiltration', 'safe-mcp.safe-t1802', ...owasp('egress.session_bytes')],
    }),
  ];
}

/** What a plain rule can match on a single record: findings of the in-process secret
 * scan, and the detector's own conclusions (alert records) for what needs state. */
function derivedRules(): SigmaFile[] {
  const findingsFields = [F.session, F.tool, F.argsFindings, F.resultFindings, F.client];
  const alertFields = ['sessionKey', 'serviceName', 'clientName', 'tool', 'title', 'id'];
  return [
    detectionRule({
      name: 'mcp_secret_in_response',
      title: 'Secret sent to an MCP client',
      service: 'session',
      description: 'The secret scan that runs in the MCP server found a credential (cloud key, token, private key, password in a URL, …) in a tool result, resource or prompt sent to the client. toolwatch.result.findings holds rule -> count as JSON, never the value; a findings object with personal-data or path rules only does not match.',
      detection: {
        selection: { [`${F.resultFindings}|exists`]: true },
        filter_not_secret: { [`${F.resultFindings}|re`]: ONLY_NOT_SECRETS },
        condition: 'selection and not filter_not_secret',
      },
      fields: findingsFields,
      falsepositives: ['Test fixtures and documentation with example keys'],
      level: 'high',
      tags: ['attack.credential-access', 'attack.t1552', 'safe-mcp.safe-t1504', ...owasp('egress.secret_in_result')],
    }),
    detectionRule({
      name: 'mcp_secret_in_tool_arguments',
      title: 'Secret passed in MCP tool arguments',
      service: 'tool_call',
      description: 'The secret scan found a credential in the arguments of a tool call: a secret on its way out through a tool parameter. toolwatch.arguments.findings holds rule -> count as JSON, never the value.',
      detection: {
        selection: { [F.method]: 'tools/call', [`${F.argsFindings}|exists`]: true },
        filter_not_secret: { [`${F.argsFindings}|re`]: ONLY_NOT_SECRETS },
        condition: 'selection and not filter_not_secret',
      },
      fields: findingsFields,
      falsepositives: ['A user handing a key to a tool that needs it (a deploy or API tool)'],
      level: 'medium',
      tags: ['attack.exfiltration', 'safe-mcp.safe-t1911', 'owasp-mcp.mcp01-2025'],
    }),
    detectionRule({
      name: 'mcp_sensitive_path_argument',
      title: 'MCP tool call naming a credential file',
      service: 'tool_call',
      description: 'A tool call whose arguments name a sensitive path (.env, id_rsa, /etc/passwd, /etc/shadow, cloud credential files): environment and key scraping through a file tool (toolwatch rule novelty.sensitive_path).',
      detection: {
        selection: { [F.method]: 'tools/call', [`${F.argsFindings}|contains`]: '"sensitive-path"' },
        condition: 'selection',
      },
      fields: findingsFields,
      falsepositives: ['Developers asking an agent to edit their own .env'],
      level: 'high',
      tags: ['attack.credential-access', 'attack.t1552.001', 'safe-mcp.safe-t1503', ...owasp('novelty.sensitive_path')],
    }),
    alertRule('mcp_unadvertised_tool_called', 'Call to an MCP tool the server never advertised', 'novelty.unadvertised_tool',
      'An MCP client called a tool that no tools/list answer of the server advertised (a hidden, removed or guessed tool), or one outside the policy allowlist. Needs what was advertised before, which no single span holds: the toolwatch detector derives it and this rule matches its alert records.',
      ['A server that registers tools after its first tools/list without announcing them'], 'high',
      ['attack.execution', 'safe-mcp.safe-t1103'], alertFields),
    alertRule('mcp_tool_definition_changed', 'MCP tool definition changed after it was seen', 'novelty.definition_changed',
      'A tool kept its name but its definition (SHA-256 of the canonical definition: description, schema, annotations) changed between tools/list answers: a rug pull. Needs the earlier hash, which no single span holds: the toolwatch detector derives it and this rule matches its alert records.',
      ['Server upgrades that change a tool description'], 'high',
      ['attack.persistence', 'safe-mcp.safe-t1201'], alertFields),
    alertRule('mcp_tool_shadowing', 'New MCP tool shadowing a known tool name', 'novelty.tool_shadowing',
      'A tool appeared whose name reads like a tool already known (equal after folding look-alike characters, or one edit apart): a tool shadowing a trusted one. Needs the known names, which no single span holds: the toolwatch detector derives it and this rule matches its alert records.',
      ['Servers with tool families named alike (read_file, read_files)'], 'high',
      ['attack.privilege-escalation', 'safe-mcp.safe-t1301'], alertFields),
  ];
}

function alertRule(name: string, title: string, rule: string, description: string, falsepositives: string[], level: Level, tags: string[], fields: string[]): SigmaFile {
  return detectionRule({
    name,
    title,
    service: 'toolwatch_alert',
    description,
    detection: { selection: { rule }, condition: 'selection' },
    fields,
    falsepositives,
    level,
    tags: [...tags, ...owasp(rule)],
  });
}

/** toolwatch's detections as Sigma 2.x rules: base rules first, then what refers to them. */
export function sigmaRules(rules: RulesConfig, options: SigmaOptions = {}): SigmaFile[] {
  const o: Required<SigmaOptions> = {
    distinctTools: options.distinctTools ?? SIGMA_DEFAULTS.distinctTools,
    egressWindowMs: options.egressWindowMs ?? SIGMA_DEFAULTS.egressWindowMs,
  };
  return [...baseRules(), ...correlations(rules, o), ...derivedRules()];
}
