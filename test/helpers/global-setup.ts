// Starts one embedded PostgreSQL for the whole test run and migrates a template
// database; each test file clones it into a fresh database (test/helpers/database.ts).
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres.ts";
import { migrateDatabase } from "../../src/db/migrate.ts";

export const TEMPLATE_DATABASE = "paperboy_template";

declare module "vitest" {
  export interface ProvidedContext {
    databaseServerUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), "paperboy-test-pg-"));
  await chmod(dir, 0o755); // as root, PostgreSQL runs as the `postgres` user and must reach its data dir
  const server = await startEmbeddedPostgres(path.join(dir, "postgres"));
  const admin = new pg.Client({ connectionString: `${server.serverUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  await migrateDatabase(`${server.serverUrl}/${TEMPLATE_DATABASE}`);
  project.provide("databaseServerUrl", server.serverUrl);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
