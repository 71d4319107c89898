import { createHash } from 'node:crypto';

/** What a tool is for: tasks are written in roles, so one recipe fits every server. */
export type Role = 'search' | 'read' | 'list' | 'meta' | 'write' | 'export';

export interface ToolSpec {
  name: string;
  role: Role;
  /** Argument names, sorted, as `toolwatch.arguments.keys` carries them. */
  keys: readonly string[];
  requestBytes: number;
  /** Median response bytes, and the log-normal spread around it. */
  responseBytes: number;
  spread: number;
  latencyMs: number;
  /** PII that the scan finds in normal results (customer records hold e-mail addresses):
   * benign findings the detector must not take for a leak. */
  resultPii?: { rules: Record<string, number>; p: number };
  argumentPii?: { rules: Record<string, number>; p: number };
}

export interface ServerSpec {
  service: string;
  transport: 'stdio' | 'http';
  tools: readonly ToolSpec[];
  /** Tools that exist (or are guessed at) but that `tools/list` never shows. */
  hidden: readonly string[];
}

const tool = (name: string, role: Role, keys: string[], requestBytes: number, responseBytes: number, spread: number, latencyMs: number, extra: Partial<ToolSpec> = {}): ToolSpec => ({
  name,
  role,
  keys: [...keys].sort(),
  requestBytes,
  responseBytes,
  spread,
  latencyMs,
  ...extra,
});

const EMAIL = { email: 1 };
export const SERVERS: Readonly<Record<string, ServerSpec>> = {
  helpdesk: {
    service: 'helpdesk',
    transport: 'http',
    tools: [
      tool('search_tickets', 'search', ['query', 'status'], 140, 3_500, 0.6, 120),
      tool('get_ticket', 'read', ['ticket_id'], 60, 4_200, 0.5, 60, { resultPii: { rules: EMAIL, p: 0.4 } }),
      tool('get_customer', 'read', ['customer_id'], 60, 1_400, 0.3, 50, { resultPii: { rules: { email: 1, 'phone-number': 1 }, p: 0.85 } }),
      tool('list_macros', 'list', [], 2, 2_200, 0.2, 40),
      tool('add_comment', 'write', ['body', 'ticket_id'], 700, 350, 0.2, 90),
      tool('update_ticket', 'write', ['status', 'ticket_id'], 90, 420, 0.2, 80),
      tool('send_reply', 'write', ['body', 'ticket_id'], 900, 380, 0.2, 110, { argumentPii: { rules: EMAIL, p: 0.3 } }),
    ],
    hidden: ['export_all_customers', 'admin_impersonate_user'],
  },
  docs: {
    service: 'docs',
    transport: 'http',
    tools: [
      tool('search_docs', 'search', ['limit', 'query'], 120, 2_600, 0.5, 150),
      tool('read_doc', 'read', ['doc_id'], 50, 12_000, 0.7, 70),
      tool('list_docs', 'list', ['collection', 'cursor'], 70, 3_200, 0.3, 60),
      tool('get_doc_metadata', 'meta', ['doc_id'], 50, 650, 0.2, 30),
    ],
    hidden: ['dump_index', 'reindex_all'],
  },
  filesystem: {
    service: 'filesystem',
    transport: 'stdio',
    tools: [
      tool('read_file', 'read', ['path'], 70, 6_000, 0.9, 8),
      tool('read_multiple_files', 'read', ['paths'], 260, 22_000, 0.7, 20),
      tool('list_directory', 'list', ['path'], 60, 1_500, 0.6, 5),
      tool('search_files', 'search', ['path', 'pattern'], 90, 1_800, 0.8, 60),
      tool('get_file_info', 'meta', ['path'], 60, 380, 0.1, 3),
      tool('write_file', 'write', ['content', 'path'], 2_400, 120, 0.1, 10),
      tool('edit_file', 'write', ['dryRun', 'edits', 'path'], 900, 900, 0.5, 12),
    ],
    hidden: ['run_shell', 'read_any_file'],
  },
  github: {
    service: 'github',
    transport: 'http',
    tools: [
      tool('search_code', 'search', ['q'], 90, 5_200, 0.6, 400),
      tool('get_file_contents', 'read', ['owner', 'path', 'repo'], 110, 8_500, 0.9, 250),
      tool('list_issues', 'list', ['owner', 'repo', 'state'], 100, 11_000, 0.5, 350),
      tool('get_issue', 'read', ['issue_number', 'owner', 'repo'], 100, 4_200, 0.5, 220),
      tool('list_commits', 'list', ['owner', 'repo', 'sha'], 110, 7_000, 0.4, 300),
      tool('create_pull_request', 'write', ['base', 'body', 'head', 'owner', 'repo', 'title'], 1_400, 1_600, 0.2, 700),
      tool('add_issue_comment', 'write', ['body', 'issue_number', 'owner', 'repo'], 800, 900, 0.2, 400),
    ],
    hidden: ['delete_repository', 'list_org_secrets'],
  },
  warehouse: {
    service: 'warehouse',
    transport: 'http',
    tools: [
      tool('list_tables', 'list', ['schema'], 40, 2_400, 0.3, 80),
      tool('describe_table', 'meta', ['table'], 50, 1_700, 0.3, 60),
      tool('run_query', 'search', ['limit', 'sql'], 320, 14_000, 1.0, 900),
      // Legitimate large reads: a 2–5 MB export now and then (sizes drawn by the recipe).
      tool('export_report', 'export', ['format', 'report_id'], 80, 3_500_000, 0, 4_000),
    ],
    hidden: ['dump_table_raw', 'grant_role'],
  },
};

export const server = (service: string): ServerSpec => {
  const s = SERVERS[service];
  if (!s) throw new Error(`no server ${service}`);
  return s;
};

export const toolOf = (service: string, name: string): ToolSpec => {
  const t = server(service).tools.find((x) => x.name === name);
  if (!t) throw new Error(`no tool ${name} on ${service}`);
  return t;
};

export const toolsByRole = (service: string, ...roles: Role[]): ToolSpec[] => server(service).tools.filter((t) => roles.includes(t.role));

/** Every tool name any server advertises: shadowing names are chosen against it. */
export const ADVERTISED_NAMES: ReadonlySet<string> = new Set(Object.values(SERVERS).flatMap((s) => s.tools.map((t) => t.name)));

export interface ClientSpec {
  name: string;
  version: string;
}

export const CLIENTS = {
  supportCopilot: { name: 'support-copilot', version: '2.3.1' },
  claudeDesktop: { name: 'claude-desktop', version: '0.14.2' },
  cursor: { name: 'cursor-vscode', version: '1.4.2' },
  claudeCode: { name: 'claude-code', version: '2.0.8' },
  reportingBot: { name: 'reporting-bot', version: '1.2.0' },
  nightlyIndexer: { name: 'nightly-indexer', version: '3.1.0' },
  etlSync: { name: 'etl-sync', version: '0.9.4' },
} as const satisfies Record<string, ClientSpec>;

/** The hash `toolwatch.tools.definitions` carries for a tool: a revision other than the
 * approved one stands for a changed description or schema. */
export function definitionHash(service: string, name: string, revision = 'approved'): string {
  return createHash('sha256').update(`${service}\u0000${name}\u0000${revision}`).digest('hex');
}

/** The approved definitions of a server, name → hash. */
export function approvedDefinitions(service: string): Record<string, string> {
  return Object.fromEntries(server(service).tools.map((t) => [t.name, definitionHash(service, t.name)]));
}

/** `tools/list` answers carry each tool's name, description and schema: about 450 bytes. */
export const listResponseBytes = (tools: number) => 40 + 450 * tools;
