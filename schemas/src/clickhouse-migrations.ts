import {
  alertsTable,
  detectorStateTable,
  inventorySelect,
  outboxTables,
  traceIdSelect,
  resolve,
  sessionScoresTable,
  SPAN_COLUMNS,
  SPAN_INDEXES,
  spansTable,
  TABLES,
  toolInventory,
  traceIdLookup,
  TTL_COLUMNS,
  type DdlOptions,
  type Resolved,
} from './clickhouse-tables.js';

/** What migrations need of a ClickHouse connection; `sqlRunner()` adapts @clickhouse/client. */
export interface SqlRunner {
  command(sql: string): Promise<void>;
  rows<T>(sql: string): Promise<T[]>;
}

/** The part of @clickhouse/client's `ClickHouseClient` that migrations use (schemas does
 * not depend on the client: a server that only instruments never loads it). */
export interface ClickHouseClientLike {
  command(params: { query: string }): Promise<unknown>;
  query(params: { query: string; format: 'JSONEachRow' }): Promise<{ json(): Promise<unknown> }>;
}

export function sqlRunner(client: ClickHouseClientLike): SqlRunner {
  return {
    async command(query) {
      await client.command({ query });
    },
    async rows<T>(query: string) {
      return (await (await client.query({ query, format: 'JSONEachRow' })).json()) as T[];
    },
  };
}

/**
 * One step of the schema. Every statement is idempotent (IF NOT EXISTS, or a check first),
 * so a migration cut short runs again from its start, and a database that already has a
 * table from an older release, or from the OTel exporter's own `create_schema`, is brought
 * forward rather than refused.
 */
export interface Migration {
  version: number;
  name: string;
  statements(r: Resolved): string[];
  /** Steps that depend on what the database holds: rebuilds, backfills. */
  after?(db: SqlRunner, r: Resolved): Promise<void>;
}

const count = async (db: SqlRunner, from: string): Promise<number> =>
  Number((await db.rows<{ n: string | number }>(`SELECT count() AS n FROM ${from}`))[0]?.n ?? 0);

const engineOf = async (db: SqlRunner, r: Resolved, table: string): Promise<string> =>
  (await db.rows<{ engine_full: string }>(`SELECT engine_full FROM system.tables WHERE database = '${r.db}' AND name = '${table}'`))[0]?.engine_full ?? '';

/** Spans already stored when a view is created are not in its table: copy them once. The
 * race with inserts that the new view also sees only repeats rows whose readers take
 * min and max, so a repeat changes nothing they show. */
const backfill = (table: string, select: (r: Resolved) => string) => async (db: SqlRunner, r: Resolved) => {
  if ((await count(db, `${r.db}.${table}`)) > 0 || (await count(db, `${r.db}.${TABLES.spans}`)) === 0) return;
  await db.command(`INSERT INTO ${r.db}.${table} ${select(r)}`);
};

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'base tables',
    statements: (r) => [spansTable(r), alertsTable(r), sessionScoresTable(r), detectorStateTable(r)],
  },
  {
    version: 2,
    name: 'alert lifecycle: status, revision, session score; newest revision kept',
    statements: (r) => [
      `ALTER TABLE ${r.db}.${TABLES.alerts}${r.onCluster}
  ADD COLUMN IF NOT EXISTS Status LowCardinality(String) DEFAULT 'open' AFTER Id,
  ADD COLUMN IF NOT EXISTS Revision UInt32 AFTER Status,
  ADD COLUMN IF NOT EXISTS SessionScore Float64 AFTER Revision`,
    ],
    // An engine's version column cannot be altered: copy into a new table and swap.
    async after(db, r) {
      if (/ReplacingMergeTree\((.*, )?Revision\)/.test(await engineOf(db, r, TABLES.alerts))) return;
      const next = `${TABLES.alerts}__migrating`;
      await db.command(`DROP TABLE IF EXISTS ${r.db}.${next}${r.onCluster}`);
      await db.command(alertsTable(r, next));
      const columns = (await db.rows<{ name: string }>(`SELECT name FROM system.columns WHERE database = '${r.db}' AND table = '${next}' ORDER BY position`))
        .map((c) => c.name)
        .join(', ');
      await db.command(`INSERT INTO ${r.db}.${next} (${columns}) SELECT ${columns} FROM ${r.db}.${TABLES.alerts}`);
      await db.command(`EXCHANGE TABLES ${r.db}.${TABLES.alerts} AND ${r.db}.${next}${r.onCluster}`);
      await db.command(`DROP TABLE ${r.db}.${next}${r.onCluster}`);
    },
  },
  {
    version: 3,
    name: 'trace id lookup table and view (as the OTel exporter makes them)',
    statements: traceIdLookup,
    after: backfill(TABLES.traceIdTs, traceIdSelect),
  },
  {
    version: 4,
    name: 'span columns computed from attributes, their skip indexes, insert deduplication',
    statements: (r) => [
      `ALTER TABLE ${r.db}.${TABLES.spans}${r.onCluster}\n  ` +
        [
          ...Object.entries(SPAN_COLUMNS).map(([name, [type, expr]]) => `ADD COLUMN IF NOT EXISTS ${name} ${type} MATERIALIZED ${expr}`),
          ...Object.entries(SPAN_INDEXES).map(([name, def]) => `ADD INDEX IF NOT EXISTS ${name} ${def}`),
        ].join(',\n  '),
      // Replicated tables deduplicate retried inserts already; a plain one needs a window.
      ...(r.cluster ? [] : [`ALTER TABLE ${r.db}.${TABLES.spans} MODIFY SETTING non_replicated_deduplication_window = 1000`]),
    ],
  },
  {
    version: 5,
    name: 'tool inventory from tools/list spans',
    statements: toolInventory,
    after: backfill(TABLES.toolInventory, inventorySelect),
  },
  {
    version: 6,
    name: 'insert deduplication in the tables the views write',
    // A retried span batch (same deduplication token) is dropped from otel_traces, but the
    // views still pass it on unless their tables deduplicate too (with the insert setting
    // deduplicate_blocks_in_dependent_materialized_views). Replicated tables always do.
    statements: (r) =>
      r.cluster ? [] : [TABLES.traceIdTs, TABLES.toolInventory].map((t) => `ALTER TABLE ${r.db}.${t} MODIFY SETTING non_replicated_deduplication_window = 1000`),
  },
  {
    version: 7,
    name: 'durable alert outbox: pending alerts per sink, their answers, disabled sinks',
    statements: outboxTables,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Every statement of every migration, in order: the schema of a fresh database. */
export function clickhouseDdl(options: DdlOptions = {}): string[] {
  const r = resolve(options);
  return MIGRATIONS.flatMap((m) => m.statements(r));
}

export interface MigrationResult {
  /** Versions applied by this run (empty when the database was current). */
  applied: number[];
  version: number;
}

/**
 * Brings a database to SCHEMA_VERSION, recording each step in `toolwatch_schema_migrations`,
 * then sets every table's TTL to the configured one (TTL follows configuration, not
 * version). Safe to run on every start, and from several processes at once.
 */
export async function migrate(db: SqlRunner, options: DdlOptions = {}): Promise<MigrationResult> {
  const r = resolve(options);
  if (r.db !== 'default') await db.command(`CREATE DATABASE IF NOT EXISTS ${r.db}${r.onCluster}`);
  const log = `${r.db}.${TABLES.migrations}`;
  await db.command(`CREATE TABLE IF NOT EXISTS ${log}${r.onCluster} (
    Version UInt32,
    Name String,
    AppliedAt DateTime64(3)
) ENGINE = ${r.engine('ReplacingMergeTree')}()
ORDER BY Version`);
  const done = new Set((await db.rows<{ Version: number }>(`SELECT Version FROM ${log} FINAL`)).map((row) => Number(row.Version)));
  const newest = Math.max(0, ...done);
  if (newest > SCHEMA_VERSION) {
    throw new Error(`ClickHouse database ${r.db} is at schema version ${newest}, newer than this toolwatch knows (${SCHEMA_VERSION}): upgrade toolwatch`);
  }
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    try {
      for (const sql of m.statements(r)) await db.command(sql);
      await m.after?.(db, r);
    } catch (err) {
      throw new Error(`ClickHouse migration ${m.version} (${m.name}) failed on ${r.db}: ${(err as Error).message}`, { cause: err });
    }
    await db.command(`INSERT INTO ${log} (Version, Name, AppliedAt) VALUES (${m.version}, '${m.name.replace(/[\\']/g, '\\$&')}', now64(3))`);
    applied.push(m.version);
  }
  await applyTtl(db, r);
  return { applied, version: SCHEMA_VERSION };
}

async function applyTtl(db: SqlRunner, r: Resolved): Promise<void> {
  const tables = Object.keys(TTL_COLUMNS);
  const engines = new Map(
    (await db.rows<{ name: string; engine_full: string }>(
      `SELECT name, engine_full FROM system.tables WHERE database = '${r.db}' AND name IN (${tables.map((t) => `'${t}'`).join(', ')})`,
    )).map((row) => [row.name, row.engine_full]),
  );
  for (const table of tables) {
    const engine = engines.get(table) ?? '';
    const want = r.ttl(table);
    if (want && !engine.includes(want)) await db.command(`ALTER TABLE ${r.db}.${table}${r.onCluster} MODIFY ${want}`);
    if (!want && / TTL /.test(engine)) await db.command(`ALTER TABLE ${r.db}.${table}${r.onCluster} REMOVE TTL`);
  }
}
