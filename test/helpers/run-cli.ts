// Runs the real `paperboy` CLI in a child process; its stdout and stderr are pipes.
import { execFile, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/paperboy.js", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export type CliResult = { code: number; stdout: string; stderr: string };

// No time limit of its own (each CLI starts PostgreSQL, which takes what a loaded
// machine needs): the test's timeout decides. A child still running when the
// test process ends is killed, so that nothing outlives the run.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Runs `bin` (the project's CLI by default) with only the env the CLI needs and resolves with its exit code and output. */
export function runCli(args: string[], env: Record<string, string | undefined>, options: { cwd?: string; bin?: string } = {}): Promise<CliResult> {
  return startCli(args, env, options).result;
}

/** runCli, with the child at hand (to kill it mid-run). */
export function startCli(args: string[], env: Record<string, string | undefined>, options: { cwd?: string; bin?: string } = {}): { child: ChildProcess; result: Promise<CliResult> } {
  // Only what the CLI needs: a developer's own PAPERBOY_* or DATABASE_URL must not leak in.
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PAPERBOY_") && name !== "DATABASE_URL"));
  let child!: ChildProcess;
  const result = new Promise<CliResult>((resolve) => {
    child = execFile(
      process.execPath,
      [options.bin ?? BIN, ...args],
      { cwd: options.cwd ?? ROOT, env: { ...base, PAPERBOY_LOG_LEVEL: "warn", PAPERBOY_SOURCES: "none", ...env }, maxBuffer: 512 * 1024 * 1024 },
      (error, stdout, stderr) => {
        running.delete(child);
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    running.add(child);
  });
  return { child, result };
}
