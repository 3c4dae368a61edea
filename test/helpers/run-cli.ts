// Runs the real `paperboy` CLI in a child process.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/paperboy.js", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export type CliResult = { code: number; stdout: string; stderr: string };

/** Runs `bin` (the project's CLI by default) with only the env the CLI needs and resolves with its exit code and output. */
export function runCli(args: string[], env: Record<string, string | undefined>, options: { cwd?: string; bin?: string } = {}): Promise<CliResult> {
  // Only what the CLI needs: a developer's own PAPERBOY_* or DATABASE_URL must not leak in.
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PAPERBOY_") && name !== "DATABASE_URL"));
  return new Promise((resolve) => {
    execFile(process.execPath, [options.bin ?? BIN, ...args], { cwd: options.cwd ?? ROOT, env: { ...base, PAPERBOY_LOG_LEVEL: "warn", PAPERBOY_SOURCES: "none", ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
