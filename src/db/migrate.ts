// Applies prisma/migrations to a database with `prisma migrate deploy`.
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { AppError, describeError } from "../errors.ts";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

/**
 * Runs pending migrations against `databaseUrl`; safe to run twice. Checks first
 * (one query) whether anything is pending, so the common start costs no CLI call.
 * Throws DATABASE_UNAVAILABLE when the server cannot be reached, MIGRATION_FAILED
 * with the CLI's output otherwise.
 */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  if (!(await hasPendingMigrations(databaseUrl))) return;
  await new Promise<void>((resolve, reject) => {
    const child = execFile(process.execPath, ["prisma/cli.cjs", "--database-url-on-stdin", "migrate", "deploy"], { cwd: PROJECT_ROOT, timeout: 120_000 }, (error, stdout, stderr) => {
      if (!error) return resolve();
      const output = `${stdout}\n${stderr}`
        .trim()
        .split("\n")
        .filter((line) => /error|fail|P\d{4}/i.test(line))
        .slice(-8)
        .join("\n");
      reject(new AppError("MIGRATION_FAILED", `prisma migrate deploy failed:\n${output}`, { cause: error }));
    });
    child.stdin?.end(databaseUrl);
  });
}

async function hasPendingMigrations(databaseUrl: string): Promise<boolean> {
  const expected = (await readdir(MIGRATIONS_DIR, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (cause) {
    throw new AppError("DATABASE_UNAVAILABLE", `cannot connect to PostgreSQL at ${describeServer(databaseUrl)}: ${describeError(cause)}`, { cause });
  }
  try {
    const table = await client.query("SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present");
    if (!table.rows[0]?.present) return true;
    const applied = await client.query<{ name: string }>("SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL");
    const done = new Set(applied.rows.map((row) => row.name));
    return expected.some((name) => !done.has(name));
  } finally {
    await client.end();
  }
}

/** host:port/database of a connection string, without credentials. */
export function describeServer(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}
