// Issue 11.10: run from another folder, the CLI silently started an empty
// database under ./data there ("No subscribers yet"). It now says where.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/run-cli.ts";

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "paperboy-elsewhere-"));
  await chmod(folder, 0o755); // as root, PostgreSQL runs as `postgres` and must reach its data dir
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("a command run where there is no database", () => {
  it("says it created a new, empty one, where, and how to use another; the next run is quiet about it", async () => {
    const env = { PAPERBOY_LOG_LEVEL: "info", PAPERBOY_SECRET: "elsewhere-secret".padEnd(40, "e") }; // no DATABASE_URL, no PAPERBOY_DATA_DIR
    const first = await runCli(["subscribers", "list"], env, { cwd: folder });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(
      `Created a new, empty database in ${path.join(folder, "data", "postgres")}: there was none under "data" in the current folder, ${folder}. If your data is elsewhere, run paperboy from that folder or set PAPERBOY_DATA_DIR to its absolute path.`,
    );
    expect(first.stdout).toContain("No subscribers yet");

    const second = await runCli(["subscribers", "list"], env, { cwd: folder });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toContain("Created a new");

    const absolute = path.join(folder, "elsewhere");
    const named = await runCli(["subscribers", "list"], { ...env, PAPERBOY_DATA_DIR: absolute }, { cwd: folder });
    expect(named.stderr).toContain(`Created a new, empty database in ${path.join(absolute, "postgres")}\n`);
  }, 180_000); // three first starts of PostgreSQL
});
