// The embedded server must start after any kind of unclean shutdown: never hang,
// never refuse to start.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres.ts";

const CHILD = fileURLToPath(new URL("../helpers/start-embedded.ts", import.meta.url));
let root: string;
let dataDir: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "paperboy-embedded-"));
  await chmod(root, 0o755);
  dataDir = path.join(root, "postgres");
});
afterAll(async () => {
  const pid = await readPid().catch(() => undefined);
  if (pid && isAlive(pid)) process.kill(pid, "SIGKILL");
  await rm(root, { recursive: true, force: true });
});

async function readPid(): Promise<number> {
  return Number((await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An exited orphan stays a zombie until PID 1 reaps it, which some containers' PID 1 never does.
  if (process.platform !== "linux") return true;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false; // gone between the two checks
  }
}

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("startEmbeddedPostgres", () => {
  it("reuses the server left running by a process killed with SIGKILL, data intact, and stops it when the last live user leaves", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, dataDir], { stdio: ["ignore", "pipe", "inherit"] });
    const url = await new Promise<string>((resolve, reject) => {
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("\n")) resolve(output.trim()); // the whole line, however the pipe cut it
      });
      child.on("exit", (code) => reject(new Error(`child exited ${code}`)));
    });
    await query(url, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('survives')");
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const orphan = await readPid();
    expect(isAlive(orphan)).toBe(true);

    const server = await startEmbeddedPostgres(dataDir);
    expect(await query(server.url, "SELECT note FROM kept")).toEqual([{ note: "survives" }]);
    expect(await readPid()).toBe(orphan);
    // The killed process's registration is dead: this was the last user, so the server stops.
    await server.stop();
    expect(isAlive(orphan)).toBe(false);
  });

  it("stops a live process that holds the lock but does not answer, then starts", async () => {
    const impostor = spawn("sleep", ["120"]);
    await writeFile(path.join(dataDir, "postmaster.pid"), `${impostor.pid}\n${dataDir}\n0\n1\n`);
    const server = await startEmbeddedPostgres(dataDir);
    expect(isAlive(impostor.pid!)).toBe(false);
    expect(await query(server.url, "SELECT note FROM kept")).toEqual([{ note: "survives" }]);
    await server.stop();
  });

  it("starts over a stale lock file whose process is gone", async () => {
    await writeFile(path.join(dataDir, "postmaster.pid"), `999999\n${dataDir}\n0\n5432\n`);
    const server = await startEmbeddedPostgres(dataDir);
    expect(await query(server.url, "SELECT count(*)::int AS n FROM kept")).toEqual([{ n: 1 }]);
    await server.stop();
  });
});
