// Applies prisma/migrations to a database with `prisma migrate deploy`.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AppError } from "../errors.ts";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Runs pending migrations against `databaseUrl`; safe to run twice (applied
 * migrations are skipped). Throws MIGRATION_FAILED with the CLI's output.
 */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      ["prisma/cli.cjs", "migrate", "deploy"],
      { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (!error) return resolve();
        const output = `${stdout}\n${stderr}`.trim().split("\n").slice(-8).join("\n");
        reject(new AppError("MIGRATION_FAILED", `prisma migrate deploy failed:\n${output}`, { cause: error }));
      },
    );
  });
}
