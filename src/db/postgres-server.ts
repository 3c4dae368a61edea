// Runs initdb and the PostgreSQL server as child processes — as the `postgres`
// user when paperboy runs as root.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chown, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PostgresBinaries } from "./postgres-binaries.ts";
import type { PostgresUser } from "./postgres-user.ts";

export type ServerOptions = { binaries: PostgresBinaries; dataDir: string; user?: PostgresUser; onOutput(text: string): void };
export type RunningServer = { pid: number; stop(): Promise<void> };

// Readiness is read from the server's log, so its messages must be in English.
const READY = "database system is ready to accept connections";
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
 * Starts the server on `port`; resolves once it accepts connections, rejects if
 * it exits first or is still not ready after `timeoutMs` (then it is killed).
 * stop() asks for a fast shutdown and waits for the exit.
 */
export async function startServer(options: ServerOptions & { port: number; flags: string[]; timeoutMs: number }): Promise<RunningServer> {
  const child = spawnAs(options.binaries.postgres, ["-D", options.dataDir, "-p", String(options.port), "-c", "lc_messages=C", ...options.flags], options);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`not ready after ${options.timeoutMs / 1000} s`));
    }, options.timeoutMs);
    void exited.then(() => reject(new Error(`postgres exited (code ${child.exitCode ?? child.signalCode})`)));
    // Read both streams for the server's whole life: a full pipe would block its logging.
    child.stdout?.on("data", (chunk: Buffer) => options.onOutput(chunk.toString()));
    let recent = ""; // the message may straddle two chunks
    child.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      options.onOutput(text);
      if ((recent + text).includes(READY)) resolve();
      recent = (recent + text).slice(-READY.length);
    });
  }).finally(() => clearTimeout(timer));
  return { pid: child.pid as number, stop: () => stopChild(child, exited) };
}

function spawnAs(file: string, args: string[], options: ServerOptions): ChildProcess {
  // The data directory is the one folder the user is sure to be able to enter.
  const ids = options.user ? { uid: options.user.uid, gid: options.user.gid } : {};
  return spawn(file, args, { ...ids, cwd: options.dataDir, stdio: ["ignore", "pipe", "pipe"] });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGINT"); // PostgreSQL's fast shutdown
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<"stuck">((resolve) => (timer = setTimeout(() => resolve("stuck"), STOP_GRACE_MS)));
  if ((await Promise.race([exited, stuck])) === "stuck") child.kill("SIGKILL");
  clearTimeout(timer);
  await exited;
}
