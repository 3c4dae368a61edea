// A fresh database per test file, cloned from the migrated template.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createDb, type Db } from "../../src/db/client.ts";

export type TestDatabase = { db: Db; url: string; drop(): Promise<void> };

/** Clones the template on `server` (in vitest: the run's server) into a database of its own; drop() deletes it. */
export async function createTestDatabase(server: string = inject("databaseServerUrl")): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString("hex")}`;
  await admin(server, `CREATE DATABASE ${name} TEMPLATE paperboy_template`);
  const url = `${server}/${name}`;
  const db = createDb(url);
  return {
    db,
    url,
    async drop() {
      await db.$disconnect();
      await admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function admin(server: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${server}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
