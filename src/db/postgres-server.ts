// Runs initdb and the PostgreSQL server as child processes — as the `postgres`
// user when paperboy runs as root.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chown, mkdir, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PostgresBinaries } from "./postgres-binaries.ts";
import type { PostgresUser } from "./postgres-user.ts";
import { isProcessAlive } from "../process-alive.ts";

export type ServerOptions = { binaries: PostgresBinaries; dataDir: string; user?: PostgresUser; onOutput(text: string): void };
const READY_POLL_MS = 100;
const STOP_GRACE_MS = 60_000;

/** Creates a new cluster in `dataDir` (which must not hold one) with a password-protected superuser. Throws with initdb's output. */
export async function initialiseCluster(options: ServerOptions & { superuser: string; password: string }): Promise<void> {
  const { dataDir, user } = options;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(tmpdir(), `paperboy-pg-password-${randomBytes(6).toString("hex")}`);
  await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
  try {
    if (user) {
      await chown(dataDir, user.uid, user.gid);
      await chown(passwordFile, user.uid, user.gid);
    }
    const args = [`--pgdata=${dataDir}`, "--auth=password", `--username=${options.superuser}`, `--pwfile=${passwordFile}`, "--lc-messages=C"];
    const child = spawnAs(options.binaries.initdb, args, options);
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      options.onOutput(chunk.toString());
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", resolve);
    });
    if (code !== 0) throw new Error(`initdb exited with code ${code}: ${output.trim().split("\n").slice(-3).join(" ")}`);
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/**
 * Starts the server on `port`, detached (its own process group, so a Ctrl-C
 * meant for one command does not stop a server others use; its output goes to
 * `logFile`, not to pipes that would break when this process exits). Resolves
 * with its pid once `isReady` says it answers; rejects if it exits first or is
 * still not ready after `timeoutMs` (then it is killed).
 */
export async function startServer(options: ServerOptions & { port: number; flags: string[]; timeoutMs: number; logFile: string; isReady(): Promise<boolean> }): Promise<number> {
  const output = await open(options.logFile, "a", 0o600);
  let child: ChildProcess;
  try {
    const args = ["-D", options.dataDir, "-p", String(options.port), "-c", "lc_messages=C", ...options.flags];
    child = spawnAs(options.binaries.postgres, args, options, { detached: true, stdio: ["ignore", output.fd, output.fd] });
  } finally {
    await output.close(); // the child has its own copy of the descriptor
  }
  child.unref();
  let exit: string | undefined;
  child.once("error", (error) => (exit = error.message));
  child.once("exit", (code, signal) => (exit = `postgres exited (code ${code ?? signal})`));
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (exit !== undefined) throw new Error(exit);
    if (await options.isReady()) return child.pid as number;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`not ready after ${options.timeoutMs / 1000} s`);
    }
    await delay(READY_POLL_MS);
  }
}

/** Asks the server `pid` for a fast shutdown and waits until it has exited (SIGKILL after a grace period). */
export async function stopServer(pid: number): Promise<void> {
  signal(pid, "SIGINT"); // PostgreSQL's fast shutdown
  for (const deadline = Date.now() + STOP_GRACE_MS; Date.now() < deadline && isProcessAlive(pid); ) await delay(READY_POLL_MS);
  if (isProcessAlive(pid)) signal(pid, "SIGKILL");
  for (const deadline = Date.now() + STOP_GRACE_MS; Date.now() < deadline && isProcessAlive(pid); ) await delay(READY_POLL_MS);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error; // already gone
  }
}

function spawnAs(file: string, args: string[], options: ServerOptions, spawnOptions: SpawnOptions = { stdio: ["ignore", "pipe", "pipe"] }): ChildProcess {
  // The data directory is the one folder the user is sure to be able to enter.
  const ids = options.user ? { uid: options.user.uid, gid: options.user.gid } : {};
  return spawn(file, args, { ...ids, cwd: options.dataDir, ...spawnOptions });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
