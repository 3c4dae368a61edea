// `paperboy backup` / `paperboy restore`: a consistent logical snapshot of every
// table paperboy keeps, as gzip-compressed JSON lines with a format version, and
// its restore into an empty database in one transaction (all or nothing). Rows are
// written and read by PostgreSQL itself (row_to_json, json_populate_recordset), so
// every type — timestamps, arrays, jsonb, bytea, enums — comes back exactly.
//
// The file, one JSON value per line:
//   {"format":"paperboy-backup","version":1,"createdAt":…,"paperboy":"0.1.0","migrations":[…]}
//   {"table":"Subscriber","columns":["id","email",…]}      then each of its rows:
//   {"t":"Subscriber","r":{…the row…}}
//   …                                                       (tables parents first)
//   {"end":true,"rows":{"Subscriber":3,…}}                  (a file without it was cut short)
import { once } from "node:events";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import type { Readable, Writable } from "node:stream";
import { createGunzip, createGzip } from "node:zlib";
import { AppError, describeError } from "../errors.ts";
import { transaction, type Db, type Query } from "./client.ts";

export const BACKUP_FORMAT = "paperboy-backup";
export const BACKUP_VERSION = 1;
/** Rows fetched from a table's cursor, and inserted, at a time. */
const BATCH = 500;

export type BackupSummary = { rows: Record<string, number>; migrations: string[] };

/**
 * Writes every table of the database's schema (not pg-boss's queue, nor Prisma's
 * migration table) to `out`, read in one REPEATABLE READ transaction: a snapshot
 * that no concurrent send or ingest half-changes. `version` is paperboy's.
 */
export async function backupDatabase(db: Db, out: Writable, version: string, now: Date): Promise<BackupSummary> {
  const gzip = createGzip();
  const written = pipeline(gzip, out);
  const write = async (line: string) => {
    if (!gzip.write(`${line}\n`)) await Promise.race([once(gzip, "drain"), written]);
  };
  try {
    const summary = await transaction(db, async (query) => {
      await query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", []);
      const migrations = await appliedMigrations(query);
      await write(JSON.stringify({ format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: now.toISOString(), paperboy: version, migrations }));
      const rows: Record<string, number> = {};
      for (const { table, columns } of await tablesInOrder(query)) {
        await write(JSON.stringify({ table, columns }));
        rows[table] = 0;
        await query(`DECLARE backup_rows NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS row FROM ${quote(table)} t`, []);
        for (;;) {
          const batch = await query<{ row: string }>(`FETCH ${BATCH} FROM backup_rows`, []);
          for (const { row } of batch) await write(`{"t":${JSON.stringify(table)},"r":${row}}`);
          rows[table] += batch.length;
          if (batch.length < BATCH) break;
        }
        await query("CLOSE backup_rows", []);
      }
      await write(JSON.stringify({ end: true, rows }));
      return { rows, migrations };
    });
    gzip.end();
    await written;
    return summary;
  } catch (error) {
    gzip.destroy();
    await written.catch(() => {});
    throw error;
  }
}

/**
 * Loads a backup into this database in one transaction: every row, or none when
 * anything is wrong (the file cut short or not a backup, a row the schema refuses).
 * Refuses a database that has rows in any table, unless `replace` (then they are
 * deleted first, in the same transaction). A backup made by an older paperboy loads
 * into a newer schema (columns it lacks get their defaults); one from a newer one is
 * refused. Stop paperboy (serve, workers) while restoring.
 */
export async function restoreDatabase(db: Db, input: Readable, options: { replace?: boolean } = {}): Promise<BackupSummary> {
  const gunzip = createGunzip();
  const source = input.pipe(gunzip);
  input.on("error", (error) => gunzip.destroy(error));
  const lines = createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
  let lineNumber = 0;
  const next = async (): Promise<Record<string, unknown> | undefined> => {
    let result: IteratorResult<string>;
    try {
      result = await lines.next();
    } catch (error) {
      throw new AppError("INVALID_ARGUMENT", `not a paperboy backup, or a damaged one (after line ${lineNumber}): ${describeError(error)}`, { cause: error });
    }
    if (result.done) return undefined;
    lineNumber++;
    try {
      return JSON.parse(result.value) as Record<string, unknown>;
    } catch {
      throw new AppError("INVALID_ARGUMENT", `line ${lineNumber} of the backup is not JSON: the file is damaged`);
    }
  };
  try {
    const header = await next();
    if (header?.format !== BACKUP_FORMAT) throw new AppError("INVALID_ARGUMENT", "not a paperboy backup (its first line does not say so)");
    if (typeof header.version !== "number" || header.version > BACKUP_VERSION) {
      throw new AppError(
        "INVALID_ARGUMENT",
        `this backup has format version ${String(header.version)}; this paperboy reads version ${BACKUP_VERSION} and older: restore it with the paperboy that made it (${String(header.paperboy)}) or a newer one`,
      );
    }
    const backedUp = Array.isArray(header.migrations) ? header.migrations.map(String) : [];
    return await transaction(db, async (query) => {
      const target = new Map((await tablesInOrder(query)).map(({ table, columns }) => [table, new Set(columns)]));
      const applied = new Set(await appliedMigrations(query));
      const newer = backedUp.filter((migration) => !applied.has(migration));
      if (newer.length > 0)
        throw new AppError("INVALID_ARGUMENT", `this backup was made by a newer paperboy (${String(header.paperboy)}; migrations this database lacks: ${newer.join(", ")}): upgrade first`);
      await makeRoom(query, [...target.keys()], options.replace ?? false);

      const rows: Record<string, number> = {};
      let table: string | undefined;
      let columns: string[] = [];
      let batch: string[] = [];
      const flush = async () => {
        if (!table || batch.length === 0) return;
        const list = columns.map(quote).join(", ");
        await query(`INSERT INTO ${quote(table)} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${quote(table)}, $1::json)`, [`[${batch.join(",")}]`]).catch((error: unknown) => {
          throw new AppError("INVALID_ARGUMENT", `the rows of ${table} before line ${lineNumber} cannot be restored: ${describeError(error)}`, { cause: error });
        });
        rows[table] = (rows[table] ?? 0) + batch.length;
        batch = [];
      };
      for (let line = await next(); ; line = await next()) {
        if (line === undefined) throw new AppError("INVALID_ARGUMENT", `the backup ends at line ${lineNumber} without its last line: it was cut short; nothing was restored`);
        if (typeof line.t === "string") {
          if (line.t !== table) throw new AppError("INVALID_ARGUMENT", `line ${lineNumber}: a row of ${line.t} outside its table's section`);
          batch.push(JSON.stringify(line.r));
          if (batch.length >= BATCH) await flush();
        } else if (typeof line.table === "string") {
          await flush();
          table = line.table;
          columns = Array.isArray(line.columns) ? line.columns.map(String) : [];
          const known = target.get(table);
          if (!known) throw new AppError("INVALID_ARGUMENT", `line ${lineNumber}: this database has no table ${table} (a backup from another version?)`);
          const unknown = columns.filter((column) => !known.has(column));
          if (unknown.length > 0) throw new AppError("INVALID_ARGUMENT", `line ${lineNumber}: ${table} here has no column ${unknown.join(", ")} (a backup from a newer paperboy?)`);
          rows[table] = 0;
        } else if (line.end === true) {
          await flush();
          const expected = (line.rows ?? {}) as Record<string, number>;
          for (const [name, count] of Object.entries(expected)) {
            if ((rows[name] ?? 0) !== count) throw new AppError("INVALID_ARGUMENT", `the backup lists ${count} rows of ${name} but holds ${rows[name] ?? 0}: it is damaged; nothing was restored`);
          }
          break;
        } else {
          throw new AppError("INVALID_ARGUMENT", `line ${lineNumber} of the backup is neither a table, a row nor its end`);
        }
      }
      // Ids go on after the largest restored one.
      for (const name of Object.keys(rows)) {
        if (!target.get(name)?.has("id")) continue;
        await query(`SELECT setval(seq::regclass, coalesce((SELECT max(id) FROM ${quote(name)}), 0) + 1, false) FROM pg_get_serial_sequence($1, 'id') AS seq WHERE seq IS NOT NULL`, [quote(name)]);
      }
      return { rows, migrations: backedUp };
    });
  } finally {
    lines.return?.();
    input.unpipe(gunzip);
    gunzip.destroy();
  }
}

/** Refuses a database with rows unless `replace`, in which case they are deleted. */
async function makeRoom(query: Query, tables: string[], replace: boolean): Promise<void> {
  if (tables.length === 0) return;
  if (replace) {
    await query(`TRUNCATE ${tables.map(quote).join(", ")} RESTART IDENTITY CASCADE`, []);
    return;
  }
  const filled: string[] = [];
  for (const table of tables) if ((await query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${quote(table)}) AS any`, []))[0]?.any) filled.push(table);
  if (filled.length > 0) {
    throw new AppError("INVALID_ARGUMENT", `the database is not empty (rows in ${filled.join(", ")}): restore into an empty one, or pass --replace to delete what is there first`);
  }
}

/** The migrations applied to this database, by name. */
async function appliedMigrations(query: Query): Promise<string[]> {
  const rows = await query<{ name: string }>(`SELECT migration_name AS name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`, []);
  return rows.map((row) => row.name);
}

/** The schema's tables with their columns, each after the tables its foreign keys point to. */
async function tablesInOrder(query: Query): Promise<Array<{ table: string; columns: string[] }>> {
  const columns = await query<{ table: string; column: string }>(
    `SELECT c.table_name AS table, c.column_name AS column FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
     WHERE c.table_schema = current_schema() AND c.table_name <> '_prisma_migrations' ORDER BY c.table_name, c.ordinal_position`,
    [],
  );
  const references = await query<{ child: string; parent: string }>(
    `SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint
     WHERE contype = 'f' AND connamespace = current_schema()::regnamespace AND conrelid <> confrelid`,
    [],
  );
  const byTable = new Map<string, string[]>();
  for (const row of columns) byTable.set(row.table, [...(byTable.get(row.table) ?? []), row.column]);
  const unquote = (name: string) => name.replace(/^"(.*)"$/, "$1");
  const parents = new Map<string, string[]>();
  for (const { child, parent } of references) parents.set(unquote(child), [...(parents.get(unquote(child)) ?? []), unquote(parent)]);
  const ordered: string[] = [];
  const visit = (table: string, path: Set<string>) => {
    if (ordered.includes(table) || path.has(table)) return;
    path.add(table);
    for (const parent of parents.get(table) ?? []) if (byTable.has(parent)) visit(parent, path);
    path.delete(table);
    ordered.push(table);
  };
  for (const table of [...byTable.keys()].sort()) visit(table, new Set());
  return ordered.map((table) => ({ table, columns: byTable.get(table)! }));
}

/** An identifier quoted for SQL. */
function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
