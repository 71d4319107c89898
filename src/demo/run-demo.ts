import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { DetectorConfig, Logger } from '@toolwatch/detector';
import type { AlertKind, AlertRecord } from '@toolwatch/schemas';
import { startPipeline, type Pipeline } from '../pipeline.js';
import { DEMO_AGENTS, historyAgents, type Agent } from './agents.js';
import { createDemoServer } from './demo-server.js';

export interface DemoOptions {
  config: DetectorConfig;
  log: Logger;
  agents?: Agent[];
  /** Benign sessions run first, so that the detector has learned what normal is. */
  history?: number;
  /** Told of each alert as it fires, with the name of the agent whose session raised it. */
  onAlert?: (alert: AlertRecord, agent: string | undefined) => void;
  retryDelaysMs?: number[];
  /** Told when the history has been scored. */
  onHistory?: (sessions: number) => void;
  /** Leave the pipeline running (tests inspect it) instead of stopping it at the end. */
  keepRunning?: boolean;
}

export interface AgentOutcome {
  agent: Agent;
  alerts: AlertRecord[];
  /** The agent raised the alert kind it should have, and no other; or none if benign. */
  asExpected: boolean;
}

export interface DemoResult {
  outcomes: AgentOutcome[];
  pipeline: Pipeline;
  ok: boolean;
}

/**
 * Runs scripted agents, benign and hostile, against an instrumented demo server, each in
 * a session of its own, through the real MCP client and the whole pipeline.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const agents = options.agents ?? DEMO_AGENTS;
  const alerts: AlertRecord[] = [];
  const pipeline = await startPipeline({
    config: options.config,
    log: options.log,
    retryDelaysMs: options.retryDelaysMs,
    onAlert: (alert) => {
      alerts.push(alert);
      options.onAlert?.(alert, agentFor(alert.clientName));
    },
  });
  // Agents are told apart by their clientInfo name: the session key is made inside the
  // server's process, where the demo does not reach.
  const agentFor = (clientName: string) => agents.find((a) => a.name === clientName)?.name;

  const session = async (agent: Agent) => {
    const server = pipeline.instrumentation.instrument(createDemoServer());
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: agent.name, version: '1.0.0' });
    await client.connect(clientSide);
    try {
      await agent.run(client);
    } finally {
      await client.close();
    }
  };
  const history = historyAgents(options.history ?? 40);
  for (const agent of history) await session(agent);
  await pipeline.settle();
  options.onHistory?.(history.length);
  await Promise.all(agents.map(session));
  await pipeline.settle();

  const outcomes = agents.map((agent): AgentOutcome => {
    const own = alerts.filter((a) => a.clientName === agent.name);
    const kinds = new Set<AlertKind>(own.map((a) => a.kind));
    const asExpected = agent.expects === null ? kinds.size === 0 : kinds.has(agent.expects) && kinds.size === 1;
    return { agent, alerts: own, asExpected };
  });
  if (!options.keepRunning) await pipeline.stop();
  return { outcomes, pipeline, ok: outcomes.every((o) => o.asExpected) };
}
