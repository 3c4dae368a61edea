// Issue 12.3: the embedded PostgreSQL shared by several commands, and outages.
// Bugs: of three commands started at once on a stopped data folder two failed
// ("postmaster.pid already exists"); a `serve` that reused another command's
// server lost its database when that command stopped it; `serve` with workers
// crashed when PostgreSQL died, and without workers answered 500 for ever (no
// restart), while /healthz said ok.
import { readFileSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres.ts";
import { runCli, startCli, type RunningCli } from "../helpers/run-cli.ts";

const SECRET = "shared-database-secret".padEnd(40, "s");
let root: string;
const started: RunningCli[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "paperboy-shared-"));
  await chmod(root, 0o755); // as root, PostgreSQL runs as `postgres` and must reach its data dir
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((cli) => cli.stop("SIGKILL")));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function newDataDir(name: string): Promise<string> {
  return path.join(root, name);
}

/** The pid in postmaster.pid, or undefined when there is none. */
async function readServerPid(dataDir: string): Promise<number | undefined> {
  const text = await readFile(path.join(dataDir, "postgres", "postmaster.pid"), "utf8").catch(() => undefined);
  return text ? Number(text.split("\n")[0]) : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8")); // a zombie is dead
  } catch {
    return false;
  }
}

/** Whether a server still runs on the data folder (a live pid in postmaster.pid). */
async function isServerRunning(dataDir: string): Promise<boolean> {
  const pid = await readServerPid(dataDir);
  return pid !== undefined && isAlive(pid);
}

function readProcessGroup(pid: number): number {
  return Number(
    readFileSync(`/proc/${pid}/stat`, "utf8")
      .replace(/^.*\) /s, "")
      .split(" ")[2],
  );
}

async function startServe(dataDir: string, env: Record<string, string> = {}): Promise<{ cli: RunningCli; baseUrl: string }> {
  const cli = startCli(["serve"], { PAPERBOY_DATA_DIR: dataDir, PAPERBOY_SECRET: SECRET, PAPERBOY_PORT: "0", PAPERBOY_CRON: "*/15 * * * *", ...env });
  started.push(cli);
  const [, baseUrl] = await cli.waitForLog(/listening on (http:\/\/[\d.:]+)/);
  return { cli, baseUrl: baseUrl! };
}

async function status(url: string, init?: RequestInit): Promise<number> {
  try {
    return (await fetch(url, init)).status;
  } catch {
    return 0;
  }
}

function subscribe(baseUrl: string, email: string): Promise<Response> {
  return fetch(`${baseUrl}/api/subscribe`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email }) });
}

describe("several commands on one data folder", () => {
  it("three commands started at once on a new data folder all succeed, and no server is left running after them", async () => {
    const dataDir = await newDataDir("three");
    const env = { PAPERBOY_DATA_DIR: dataDir, PAPERBOY_SECRET: SECRET };
    const results = await Promise.all(["a", "b", "c"].map((name) => runCli(["subscribers", "add", `${name}@example.org`], env)));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(await isServerRunning(dataDir)).toBe(false);

    // And again on the stopped folder, with a fourth reading at the same time.
    const again = await Promise.all([...["d", "e", "f"].map((name) => runCli(["subscribers", "add", `${name}@example.org`], env)), runCli(["subscribers", "list"], env)]);
    for (const result of again) expect(result.code, result.stderr).toBe(0);
    const list = await runCli(["subscribers", "list"], env);
    for (const name of ["a", "b", "c", "d", "e", "f"]) expect(list.stdout).toContain(`${name}@example.org`);
    expect(await isServerRunning(dataDir)).toBe(false);
  }, 300_000);

  it("a serve that reused the server of another serve keeps its database when that one stops; stopping it stops the server", async () => {
    const dataDir = await newDataDir("reuse");
    const first = await startServe(dataDir, { PAPERBOY_WORKERS: "0" });
    const second = await startServe(dataDir);
    const pid = await readServerPid(dataDir);
    expect(readProcessGroup(pid!)).toBe(pid); // its own group: a Ctrl-C for one command in a terminal does not reach it
    expect(await first.cli.stop()).toBe(0);

    expect(await status(`${second.baseUrl}/healthz`)).toBe(200);
    expect((await subscribe(second.baseUrl, "kept@example.org")).status).toBe(202);
    expect(await readServerPid(dataDir)).toBe(pid);

    expect(await second.cli.stop()).toBe(0);
    expect(isAlive(pid!)).toBe(false);
  }, 300_000);
});

describe("a worker on a server another command started", () => {
  it("keeps the server running after that command has exited, and stops it when it stops", async () => {
    const dataDir = await newDataDir("worker");
    const web = await startServe(dataDir, { PAPERBOY_WORKERS: "0" });
    const worker = startCli(["worker"], { PAPERBOY_DATA_DIR: dataDir, PAPERBOY_SECRET: SECRET });
    started.push(worker);
    await worker.waitForLog(/worker: processing/);
    const pid = await readServerPid(dataDir);
    expect(await web.cli.stop()).toBe(0);
    expect(isAlive(pid!)).toBe(true);
    const list = await runCli(["subscribers", "list"], { PAPERBOY_DATA_DIR: dataDir, PAPERBOY_SECRET: SECRET });
    expect(list.code, list.stderr).toBe(0);
    expect(await readServerPid(dataDir)).toBe(pid); // the short command joined it and left it running
    expect(await worker.stop()).toBe(0);
    expect(isAlive(pid!)).toBe(false);
  }, 300_000);
});

describe("serve when its PostgreSQL dies", () => {
  it.each(["2", "0"])(
    "with PAPERBOY_WORKERS=%s, stays up and works again once the server it owns is restarted",
    async (workers) => {
      const dataDir = await newDataDir(`killed-${workers}`);
      const { cli, baseUrl } = await startServe(dataDir, { PAPERBOY_WORKERS: workers });
      expect((await subscribe(baseUrl, "before@example.org")).status).toBe(202);
      const pid = (await readServerPid(dataDir))!;
      const logged = cli.stderr().length;

      process.kill(pid, "SIGKILL");
      await cli.waitForLog(/PostgreSQL .*is running again/, logged);
      await expect.poll(() => status(`${baseUrl}/healthz`)).toBe(200);
      expect(cli.child.exitCode).toBe(null);
      expect(await readServerPid(dataDir)).not.toBe(pid);
      expect(await status(`${baseUrl}/`)).toBe(200);
      expect((await subscribe(baseUrl, "after@example.org")).status).toBe(202);
      expect(cli.stderr()).not.toMatch(/Unhandled|\n\s+at /);

      expect(await cli.stop()).toBe(0);
      expect(await isServerRunning(dataDir)).toBe(false);
    },
    300_000,
  );
});

describe("serve while an external database is down", () => {
  it("answers 503 with Retry-After on pages, the API and /healthz, and 200 again once the database is back", async () => {
    const serverDir = path.join(root, "external", "postgres");
    let server = await startEmbeddedPostgres(serverDir);
    const { cli, baseUrl } = await startServe(path.join(root, "external-app"), { DATABASE_URL: server.url });
    expect(await status(`${baseUrl}/`)).toBe(200);
    await server.stop();

    await expect.poll(() => status(`${baseUrl}/healthz`)).toBe(503);
    const page = await fetch(`${baseUrl}/`);
    expect(page.status).toBe(503);
    expect(page.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await page.text()).toContain("temporarily unavailable");
    const api = await subscribe(baseUrl, "down@example.org");
    expect(api.status).toBe(503);
    expect(api.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("DATABASE_UNAVAILABLE");

    const url = server.url;
    server = await startEmbeddedPostgres(serverDir); // the same port: the app's connection string still holds
    expect(server.url).toBe(url);
    await expect.poll(() => status(`${baseUrl}/healthz`)).toBe(200);
    expect(await status(`${baseUrl}/`)).toBe(200);
    expect((await subscribe(baseUrl, "back@example.org")).status).toBe(202);
    expect(cli.child.exitCode).toBe(null);
    expect(cli.stderr()).not.toMatch(/Unhandled|\n\s+at /);
    expect(await cli.stop()).toBe(0);
    await server.stop();
  }, 300_000);
});
