import { mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A binary insert into chDB: the RowBinary payload goes to a file (tmpfs when there is
 * one) and the engine reads it with `INSERT INTO t (c, …) FROM INFILE '…' SETTINGS …
 * FORMAT RowBinary`, an ordinary INSERT (deduplication tokens and materialized views
 * behave as for any other).
 *
 * Why not in the query: chdb 3.4's `connection.chdb.rawInsert` takes a column list but
 * only text formats, and its native entry appends the payload to the query text, where
 * the engine's client code ends inline INSERT data at a line that looks like the end of
 * it. Binary data holds such bytes at random (a Duration of 0x0A0A…, for one): RowBinary
 * inline was cut short at the 1,400th span of the bench corpus.
 */
export interface BinaryInsert {
  insert(params: { table: string; columns: readonly string[]; settings: Record<string, string | number>; format: 'RowBinary'; values: Buffer }): Promise<void>;
  /** Removes the directory the payload files go through. */
  close(): Promise<void>;
}

export function chdbFileInsert(query: (sql: string) => Promise<unknown>): BinaryInsert {
  const dir = payloadDir();
  let n = 0;
  return {
    async insert({ table, columns, settings, format, values }) {
      const file = join(dir, `${++n}.bin`);
      await writeFile(file, values);
      try {
        const names = columns.map((c) => `\`${c.replace(/[`\\]/g, (ch) => `\\${ch}`)}\``).join(', ');
        await query(`INSERT INTO ${table} (${names}) FROM INFILE ${quote(file)}${settingsClause(settings)} FORMAT ${format}`);
      } finally {
        await rm(file, { force: true });
      }
    },
    async close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function payloadDir(): string {
  try {
    return mkdtempSync('/dev/shm/toolwatch-insert-');
  } catch {
    return mkdtempSync(join(tmpdir(), 'toolwatch-insert-'));
  }
}

const quote = (s: string) => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/** ` SETTINGS k=v, …` for an INSERT's SQL: names checked, strings quoted and escaped. */
function settingsClause(settings: Record<string, string | number>): string {
  const parts = Object.entries(settings).map(([key, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`not a setting name: ${JSON.stringify(key)}`);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error(`setting ${key}: not a finite number`);
      return `${key}=${value}`;
    }
    return `${key}=${quote(String(value))}`;
  });
  return parts.length ? ` SETTINGS ${parts.join(', ')}` : '';
}
