// Connects to the configured PostgreSQL — or starts the embedded one — and
// brings its schema up to date.
import path from "node:path";
import type { Log } from "../log.ts";
import { createDb, type Db } from "./client.ts";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";
import { migrateDatabase } from "./migrate.ts";

export type OpenDatabase = { db: Db; url: string; embedded: boolean; close(): Promise<void> };

/**
 * With `databaseUrl`, uses that server; without, starts the private server whose
 * files are in `<dataDir>/postgres`. Applies pending migrations either way.
 */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; log: Log }): Promise<OpenDatabase> {
  const embedded = options.databaseUrl ? undefined : await startEmbeddedPostgres(path.join(options.dataDir, "postgres"), options.log);
  const url = options.databaseUrl ?? (embedded?.url as string);
  try {
    await migrateDatabase(url);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  const db = createDb(url);
  return {
    db,
    url,
    embedded: embedded !== undefined,
    async close() {
      await db.$disconnect();
      await embedded?.stop();
    },
  };
}
