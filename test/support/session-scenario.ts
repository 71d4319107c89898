import { ClickHouseStore, DetectionEngine, generateCorpus, RulesConfig } from '@toolwatch/detector';
import type { AlertRecord, SessionScoreRecord, SpanRecord } from '@toolwatch/schemas';
import { spanRecord } from './span-factory.js';

/** Names an attacker controls, shaped to break out of HTML text, attributes and scripts,
 * and to reorder the text around them (a right-to-left override). */
export const HOSTILE_TOOL = `<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">\u202Eexe.txt`;
export const HOSTILE_SESSION = `evil-"><svg onload=alert(1)>-session`;

export interface Scenario {
  records: SpanRecord[];
  alerts: AlertRecord[];
  scores: SessionScoreRecord[];
}

/**
 * The engine's own sessions: a generated corpus (benign and hostile agents) and one
 * hand-written session whose tool names are hostile markup, scored by the detection engine
 * as the detector scores them, so alerts carry real evidence and real revisions.
 */
export function buildScenario(seed = 7): Scenario {
  const corpus = generateCorpus({ benign: 60, hostile: 24, seed });
  const lastMs = Number(BigInt(corpus.endNs) / 1_000_000n);
  const hostile: SpanRecord[] = [
    spanRecord({ session: HOSTILE_SESSION, timeMs: lastMs + 1_000, method: 'tools/list', advertised: ['read_file'], service: 'files-svc', client: `<b>agent</b>` }),
  ];
  for (let i = 0; i < 40; i++) {
    const record = spanRecord({
      session: HOSTILE_SESSION,
      timeMs: lastMs + 2_000 + i * 150,
      tool: i % 2 ? HOSTILE_TOOL : 'read_file',
      responseBytes: i === 30 ? 9_000_000 : 2_000 + i * 10,
      argsHash: 'cd'.repeat(32),
      service: 'files-svc',
      client: `<b>agent</b>`,
      resultFindings: i % 10 === 3 ? { 'aws-access-key-id': 1, '<i>rule</i>': 2 } : undefined,
    });
    if (i % 7 === 5) Object.assign(record, { StatusCode: 'Error', StatusMessage: 'secret-looking message that must not be shown' });
    if (i % 7 === 5) record.SpanAttributes['error.type'] = 'tool_error';
    hostile.push(record);
  }
  hostile.push(spanRecord({ session: HOSTILE_SESSION, timeMs: lastMs + 9_000, sessionEnd: true, service: 'files-svc', client: `<b>agent</b>` }));

  const records = [...corpus.records, ...hostile];
  const engine = new DetectionEngine(RulesConfig.parse({}), undefined, { scores: true });
  const alerts: AlertRecord[] = [];
  for (const r of records) alerts.push(...engine.process(r));
  alerts.push(...engine.endAll());
  return { records, alerts, scores: engine.drainScores() };
}

export async function seedStore(dataDir: string, scenario: Scenario): Promise<void> {
  const store = await ClickHouseStore.open(chdbAt(dataDir));
  try {
    for (let i = 0; i < scenario.records.length; i += 5_000) await store.writeSpans(scenario.records.slice(i, i + 5_000), `report-test-${i}`);
    // One insert per revision, as the detector writes them batch by batch: revisions in one
    // insert block collapse at once (ReplacingMergeTree), and the lifecycle is the point here.
    const newest = Math.max(0, ...scenario.alerts.map((a) => a.revision));
    for (let r = 0; r <= newest; r++) await store.writeAlerts(scenario.alerts.filter((a) => a.revision === r));
    await store.writeScores(scenario.scores);
  } finally {
    await store.close();
  }
}

/** The ClickHouse part of a detector configuration: chDB under `dataDir`. */
function chdbAt(dataDir: string): Parameters<typeof ClickHouseStore.open>[0] {
  return { dataDir, database: 'default', ttlDays: 0 };
}
