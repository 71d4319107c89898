import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** Fake credentials a careless project leaves in its files: the pipeline must never let
 * them out of the server's process. Shaped like real ones so that scanners see them. */
export const DEMO_SECRETS = {
  awsAccessKeyId: 'AKIAQ3EGUWNPLJ7XKD2M',
  githubToken: 'ghp_8f3KdL2mQ9xZpW4vR7tY1uB6nC0aE5sH3jG2',
} as const;

const csv = (rows: number, seed: string) => {
  const lines = ['id,name,email,plan,balance'];
  for (let i = 0; i < rows; i++) lines.push(`${i},${seed}-customer-${i},user${i}@example.com,${['free', 'pro', 'team'][i % 3]},${(i * 37) % 9973}.00`);
  return lines.join('\n');
};

/** The demo server's files: a few small ones, two large exports, and a `.env`. */
export const DEMO_FILES: Record<string, string> = {
  'README.md': '# Acme notes\nInternal notes for the support team.\n',
  'docs/onboarding.md': 'Welcome! Start with the runbook, then shadow a support shift.\n'.repeat(8),
  'docs/runbook.md': 'When the pager fires: check the dashboard, then the logs, then escalate.\n'.repeat(12),
  'exports/customers.csv': csv(12_000, 'cust'),
  'exports/orders.csv': csv(12_000, 'order'),
  '.env': `AWS_ACCESS_KEY_ID=${DEMO_SECRETS.awsAccessKeyId}\nGITHUB_TOKEN=${DEMO_SECRETS.githubToken}\n`,
};

/**
 * A small, plausible MCP server: notes and files, a search, the weather, and one tool it
 * does not advertise (`admin_export`, registered but disabled, as a leftover debug tool
 * often is). Each session gets a server of its own, as over Streamable HTTP.
 */
export function createDemoServer(): McpServer {
  const server = new McpServer({ name: 'acme-notes', version: '1.4.0' });
  const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

  server.registerTool(
    'search_docs',
    { description: 'Full-text search over the team docs.', inputSchema: { query: z.string().max(200) } },
    async ({ query }) => {
      const hits = Object.keys(DEMO_FILES).filter((p) => p.startsWith('docs/') && DEMO_FILES[p]!.toLowerCase().includes(query.toLowerCase()));
      return text(hits.length ? hits.join('\n') : 'no match');
    },
  );
  server.registerTool(
    'list_files',
    { description: 'Lists the files under a directory.', inputSchema: { dir: z.string().default('') } },
    async ({ dir }) => text(Object.keys(DEMO_FILES).filter((p) => p.startsWith(dir)).join('\n')),
  );
  server.registerTool(
    'read_file',
    { description: 'Reads a file.', inputSchema: { path: z.string() } },
    async ({ path }) => {
      const content = DEMO_FILES[path];
      return content === undefined ? { ...text(`no such file: ${path}`), isError: true } : text(content);
    },
  );
  server.registerTool(
    'save_note',
    { description: 'Saves a note.', inputSchema: { title: z.string(), body: z.string() } },
    async ({ title, body }) => text(`saved "${title}" (${body.length} characters)`),
  );
  server.registerTool(
    'get_weather',
    { description: 'Current weather for a city.', inputSchema: { city: z.string() } },
    async ({ city }) => text(`${city}: 18°C, light rain`),
  );
  const hidden = server.registerTool(
    'admin_export',
    { description: 'Exports every table. Debug only.', inputSchema: { table: z.string() } },
    async ({ table }) => text(`export of ${table} started`),
  );
  hidden.disable();
  return server;
}
