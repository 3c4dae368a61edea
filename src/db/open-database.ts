// Connects to the configured PostgreSQL — or starts the embedded one — and
// brings its schema up to date.
import { existsSync } from "node:fs";
import path from "node:path";
import type { Log } from "../log.ts";
import { createDb, type Db } from "./client.ts";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";
import { migrateDatabase } from "./migrate.ts";

export type OpenDatabase = { db: Db; url: string; embedded: boolean; close(): Promise<void> };

/**
 * With `databaseUrl`, uses that server; without, starts (or joins) the private
 * server whose files are in `<dataDir>/postgres`, and restarts it if it dies
 * while open. Applies pending migrations either way.
 */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; log: Log }): Promise<OpenDatabase> {
  const postgresDir = path.resolve(options.dataDir, "postgres");
  const isNew = !options.databaseUrl && !existsSync(path.join(postgresDir, "PG_VERSION"));
  const embedded = options.databaseUrl ? undefined : await startEmbeddedPostgres(postgresDir, options.log, { supervise: true });
  const url = options.databaseUrl ?? (embedded?.url as string);
  try {
    await migrateDatabase(url);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  if (isNew) options.log.info(describeNewDatabase(postgresDir, options.dataDir));
  const db = createDb(url, options.log);
  return {
    db,
    url,
    embedded: embedded !== undefined,
    async close() {
      await disconnect(db, options.log);
      await embedded?.stop();
    },
  };
}

/** How long closing waits for connections still in use (a transaction cut by a database restart may never give its connection back). */
const DISCONNECT_GRACE_MS = 5_000;

/**
 * $disconnect ends the pool, which waits for every connection to be released. A
 * transaction cut off by a PostgreSQL restart can keep its (dead) connection for
 * ever; then, after DISCONNECT_GRACE_MS, closing goes on without it (the timer also
 * keeps the process alive meanwhile, where a wait on nothing would end it with
 * "unsettled top-level await").
 */
async function disconnect(db: Db, log: Log): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), DISCONNECT_GRACE_MS)));
  const outcome = await Promise.race([db.$disconnect().then(() => "done" as const), late]);
  clearTimeout(timer);
  if (outcome === "late") log.warn(`A database connection was still in use ${DISCONNECT_GRACE_MS / 1000} s after shutdown began (cut off by a database restart?); closing without it`);
}

// A relative PAPERBOY_DATA_DIR (the default is "data") follows the current folder:
// run from elsewhere, paperboy starts an empty database there. Say where.
function describeNewDatabase(postgresDir: string, dataDir: string): string {
  const created = `Created a new, empty database in ${postgresDir}`;
  if (path.isAbsolute(dataDir)) return created;
  return `${created}: there was none under "${dataDir}" in the current folder, ${process.cwd()}. If your data is elsewhere, run paperboy from that folder or set PAPERBOY_DATA_DIR to its absolute path.`;
}
