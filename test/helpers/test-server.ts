// One embedded PostgreSQL in a temporary folder with a migrated template database
// that each test file (or fault case) clones: for vitest's global setup and for
// the scripts that run outside vitest (`npm run faults`).
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres.ts";
import { migrateDatabase } from "../../src/db/migrate.ts";

export const TEMPLATE_DATABASE = "paperboy_template";

export type TestServer = { serverUrl: string; stop(): Promise<void> };

/** Starts the server and migrates the template; stop() stops it and deletes its folder. */
export async function startTestServer(prefix = "paperboy-test-pg-"): Promise<TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  await chmod(dir, 0o755); // as root, PostgreSQL runs as the `postgres` user and must reach its data dir
  const server = await startEmbeddedPostgres(path.join(dir, "postgres"));
  const admin = new pg.Client({ connectionString: `${server.serverUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  await migrateDatabase(`${server.serverUrl}/${TEMPLATE_DATABASE}`);
  return {
    serverUrl: server.serverUrl,
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
