// Runs the real `paperboy` CLI in a child process; its stdout and stderr are pipes.
import { execFile, spawn, type ChildProcess } from "node:child_process";
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
  return spawnCli(args, env, options).result;
}

/** runCli, with the child at hand (to kill it mid-run). */
export function spawnCli(args: string[], env: Record<string, string | undefined>, options: { cwd?: string; bin?: string } = {}): { child: ChildProcess; result: Promise<CliResult> } {
  // Only what the CLI needs: a developer's own PAPERBOY_* or DATABASE_URL must not leak in.
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PAPERBOY_") && name !== "DATABASE_URL"));
  let child!: ChildProcess;
  const result = new Promise<CliResult>((resolve) => {
    child = execFile(
      process.execPath,
      [options.bin ?? BIN, ...args],
      {
        cwd: options.cwd ?? ROOT,
        env: { ...base, PAPERBOY_LOG_LEVEL: "warn", PAPERBOY_LOG_FORMAT: "pretty", PAPERBOY_SOURCES: "none", PAPERBOY_THUMBNAILS: "off", ...env },
        maxBuffer: 512 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        running.delete(child);
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    running.add(child);
  });
  return { child, result };
}

export type RunningCli = {
  child: ChildProcess;
  /** Everything written to stderr so far (the log). */
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr (after `from` characters); rejects if the process exits first. */
  waitForLog(pattern: RegExp, from?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
};

/** Starts a long-lived command (`serve`, `worker`) with the same environment rules as runCli. */
export function startCli(args: string[], env: Record<string, string | undefined>, options: { cwd?: string } = {}): RunningCli {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PAPERBOY_") && name !== "DATABASE_URL"));
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...base, PAPERBOY_LOG_LEVEL: "info", PAPERBOY_LOG_FORMAT: "pretty", PAPERBOY_SOURCES: "none", PAPERBOY_THUMBNAILS: "off", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let log = "";
  const listeners = new Set<() => void>();
  child.stdout?.resume();
  child.stderr?.on("data", (chunk: Buffer) => {
    log += chunk.toString();
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      running.delete(child);
      for (const listener of listeners) listener();
      resolve(code);
    }),
  );
  return {
    child,
    stderr: () => log,
    exited,
    waitForLog(pattern, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = log.slice(from).match(pattern);
          if (match) {
            listeners.delete(check);
            resolve(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(check);
            reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before logging ${pattern}:\n${log}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
