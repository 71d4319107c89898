import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { AlertKind } from '@toolwatch/schemas';

/** A scripted MCP client: what it does, and which alert kind it should raise, if any. */
export interface Agent {
  name: string;
  description: string;
  expects: AlertKind | null;
  run(client: Client): Promise<void>;
}

const call = (client: Client, name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });

/** A support assistant doing one task: 5–8 varied calls, as benign agents do. */
export const benignAgent: Agent = {
  name: 'support-assistant',
  description: 'answers a question from the docs (7 varied calls)',
  expects: null,
  async run(client) {
    await client.listTools();
    await call(client, 'search_docs', { query: 'pager' });
    await call(client, 'read_file', { path: 'docs/runbook.md' });
    await call(client, 'list_files', { dir: 'docs/' });
    await call(client, 'read_file', { path: 'docs/onboarding.md' });
    await call(client, 'get_weather', { city: 'Lisbon' });
    await call(client, 'save_note', { title: 'pager steps', body: 'dashboard, logs, escalate' });
    await call(client, 'search_docs', { query: 'shadow' });
  },
};

/** An agent stuck in a loop: the same call, again and again. */
export const loopAgent: Agent = {
  name: 'looping-agent',
  description: 'repeats one search 45 times in a few seconds',
  expects: 'rate',
  async run(client) {
    await client.listTools();
    for (let i = 0; i < 45; i++) await call(client, 'search_docs', { query: 'refund policy' });
  },
};

/** An agent that calls a tool the server never listed, by a name it should not know. */
export const unadvertisedToolAgent: Agent = {
  name: 'prompt-injected-agent',
  description: 'calls the hidden admin_export tool',
  expects: 'novelty',
  async run(client) {
    await client.listTools();
    await call(client, 'search_docs', { query: 'export' });
    await call(client, 'admin_export', { table: 'customers' });
  },
};

/** An agent that pulls bulk data out through a legitimate tool. */
export const bulkReadAgent: Agent = {
  name: 'exfiltrating-agent',
  description: 'reads both large exports (about 1.4 MB)',
  expects: 'egress',
  async run(client) {
    await client.listTools();
    await call(client, 'list_files', { dir: 'exports/' });
    await call(client, 'read_file', { path: 'exports/customers.csv' });
    await call(client, 'read_file', { path: 'exports/orders.csv' });
  },
};

export const DEMO_AGENTS: Agent[] = [benignAgent, loopAgent, unadvertisedToolAgent, bulkReadAgent];

const QUERIES = ['pager', 'shadow', 'escalate', 'dashboard', 'runbook', 'logs', 'support', 'refund'];
const FILES = ['README.md', 'docs/onboarding.md', 'docs/runbook.md'];
const CITIES = ['Lisbon', 'Oslo', 'Austin', 'Kyoto', 'Lagos'];

/** Everyday traffic before the demo's agents arrive: what the detector learns is normal.
 * Deterministic, 5–8 varied calls a session, as benign agents make. */
export function historyAgents(sessions: number): Agent[] {
  return Array.from({ length: sessions }, (_, n) => ({
    name: benignAgent.name,
    description: 'history',
    expects: null,
    async run(client: Client) {
      await client.listTools();
      const calls = 5 + (n % 4);
      for (let i = 0; i < calls; i++) {
        const k = n * 7 + i;
        if (i % 3 === 0) await call(client, 'search_docs', { query: QUERIES[k % QUERIES.length] });
        else if (i % 3 === 1) await call(client, 'read_file', { path: FILES[k % FILES.length] });
        else await call(client, k % 2 ? 'get_weather' : 'list_files', k % 2 ? { city: CITIES[k % CITIES.length] } : { dir: 'docs/' });
      }
    },
  }));
}
