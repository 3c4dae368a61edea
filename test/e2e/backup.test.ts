// `paperboy backup` and `paperboy restore` as an operator runs them: a database
// populated the way paperboy populates one (ingest, subscribers, a run, votes,
// a suppression, a thumbnail), backed up, restored elsewhere, compared row by row.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql, type Db } from "../../src/db/client.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { HF_DAILY_FILES } from "../helpers/fixtures.ts";
import { BIN, ROOT, runCli } from "../helpers/run-cli.ts";

let source: TestDatabase;
let target: TestDatabase;
let dir: string;
const secret = "backup-test-secret".padEnd(40, "z");
const envFor = (database: TestDatabase) => ({ DATABASE_URL: database.url, PAPERBOY_DATA_DIR: dir, PAPERBOY_SECRET: secret });

/** Every row of every table paperboy keeps, as PostgreSQL writes it, in a stable order. */
async function contents(db: Db): Promise<Record<string, string[]>> {
  const tables = await sql<{ table: string }>(
    db,
    `SELECT table_name AS table FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations' ORDER BY table_name`,
    [],
  );
  const found: Record<string, string[]> = {};
  for (const { table } of tables) found[table] = (await sql<{ row: string }>(db, `SELECT row_to_json(t)::text AS row FROM "${table}" t ORDER BY 1`, [])).map((row) => row.row);
  return found;
}

beforeAll(async () => {
  [source, target] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  dir = await mkdtemp(path.join(tmpdir(), "paperboy-backup-"));
  const env = envFor(source);
  expect((await runCli(["ingest", "--file", HF_DAILY_FILES["2026-05-14"]], env)).code).toBe(0);
  expect((await runCli(["subscribers", "add", "ada@example.org", "--topic", "agents", "--topic", '"video generation"', "--max-papers", "3"], env)).code).toBe(0);
  expect((await runCli(["subscribers", "add", "grace@example.org", "--topic", 'author:"Yann LeCun"', "--topic", "-survey"], env)).code).toBe(0);
  expect((await runCli(["subscribers", "set", "grace@example.org", "--timezone", "Asia/Tokyo", "--pause-until", "2026-06-01", "--text-only"], env)).code).toBe(0);
  expect((await runCli(["run", "--date", "2026-05-14"], env)).code).toBe(0);
  expect((await runCli(["suppress", "eve@example.org", "--reason", "asked never to be mailed"], env)).code).toBe(0);
  // What only the web app writes: a vote, and a stored thumbnail (bytes).
  const [ada] = await sql<{ id: number }>(source.db, `SELECT id FROM "Subscriber" WHERE email = 'ada@example.org'`, []);
  const [paper] = await sql<{ id: number }>(source.db, `SELECT "paperId" AS id FROM "SentPaper" ORDER BY "paperId" LIMIT 1`, []);
  await sql(source.db, `INSERT INTO "Feedback" ("subscriberId", "paperId", vote) VALUES ($1, $2, -1)`, [ada!.id, paper!.id]);
  await sql(source.db, `INSERT INTO "Thumbnail" ("paperId", bytes, width, height, "checkedAt") VALUES ($1, $2, 2, 1, now())`, [paper!.id, Buffer.from([0xff, 0xd8, 0x00, 0x01, 0xfe])]);
});
afterAll(async () => {
  await Promise.all([source?.drop(), target?.drop()]);
});

describe("paperboy backup and restore", () => {
  it("writes every table as compressed JSON lines with a format version, and restores every row exactly elsewhere", async () => {
    const file = path.join(dir, "backup.jsonl.gz");
    const backup = await runCli(["backup", "--out", file], envFor(source));
    expect(backup).toMatchObject({ code: 0, stderr: expect.stringMatching(/Backed up \d+ rows \(.*\d+ Subscriber.*\) to /) });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const lines = gunzipSync(await readFile(file))
      .toString("utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({ format: "paperboy-backup", version: 1, paperboy: expect.any(String), migrations: expect.arrayContaining([expect.any(String)]) });
    expect(lines.at(-1)).toMatchObject({ end: true, rows: expect.objectContaining({ Subscriber: 2, Suppression: 1, Feedback: 1, Thumbnail: 1 }) });
    // Parents before the tables that point to them.
    const order = lines.filter((line) => typeof line.table === "string").map((line) => line.table as string);
    expect(order.indexOf("Subscriber")).toBeLessThan(order.indexOf("Delivery"));
    expect(order.indexOf("Paper")).toBeLessThan(order.indexOf("SentPaper"));

    const before = await contents(source.db);
    expect(before.Delivery!.length).toBeGreaterThan(0);
    const restore = await runCli(["restore", file], envFor(target));
    expect(restore).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Restored \d+ rows/) });
    expect(await contents(target.db)).toEqual(before);

    // Ids go on after the restored ones.
    expect((await runCli(["subscribers", "add", "hopper@example.org", "--topic", "compilers"], envFor(target))).code).toBe(0);
    const ids = await sql<{ id: number }>(target.db, `SELECT id FROM "Subscriber" ORDER BY id`, []);
    expect(new Set(ids.map((row) => row.id)).size).toBe(3);
  });

  it("refuses a database with data unless told, and then replaces it whole", async () => {
    const file = path.join(dir, "backup.jsonl.gz");
    const before = await contents(target.db);
    const refused = await runCli(["restore", file], envFor(target));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the database is not empty \(rows in .*Subscriber.*\): restore into an empty one, or pass --replace/);
    expect(await contents(target.db)).toEqual(before);

    expect((await runCli(["restore", file, "--replace"], envFor(target))).code).toBe(0);
    expect(await contents(target.db)).toEqual(await contents(source.db));
  });

  it("restores nothing from a file cut short or not a backup, and says what is wrong", async () => {
    const empty = await createTestDatabase();
    try {
      const whole = await readFile(path.join(dir, "backup.jsonl.gz"));
      const cut = path.join(dir, "cut.jsonl.gz");
      await writeFile(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
      const truncated = await runCli(["restore", cut], envFor(empty));
      expect(truncated.code).toBe(1);
      expect(truncated.stderr).toMatch(/damaged|cut short/);
      const notBackup = path.join(dir, "papers.json");
      await writeFile(notBackup, await readFile(HF_DAILY_FILES["2026-05-14"]));
      const wrong = await runCli(["restore", notBackup], envFor(empty));
      expect(wrong).toMatchObject({ code: 1, stderr: expect.stringMatching(/not a paperboy backup/) });
      const missing = await runCli(["restore", path.join(dir, "nope.jsonl.gz")], envFor(empty));
      expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining("cannot read") });
      const rows = Object.values(await contents(empty.db)).flat();
      expect(rows).toEqual([]);
    } finally {
      await empty.drop();
    }
  });

  it("restores a backup made before a column existed (the column gets its default), and refuses one from a newer paperboy", async () => {
    const lines = gunzipSync(await readFile(path.join(dir, "backup.jsonl.gz")))
      .toString("utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    // As an older paperboy wrote it: Subscriber without textOnly (a later migration added it, default false).
    const older = lines.map((line) => {
      if (line.table === "Subscriber") return { ...line, columns: line.columns.filter((column: string) => column !== "textOnly") };
      if (line.t === "Subscriber") {
        const { textOnly: _dropped, ...row } = line.r;
        return { ...line, r: row };
      }
      return line;
    });
    const write = async (name: string, content: unknown[]) => {
      const file = path.join(dir, name);
      await writeFile(file, gzipSync(`${content.map((line) => JSON.stringify(line)).join("\n")}\n`));
      return file;
    };
    const empty = await createTestDatabase();
    try {
      expect((await runCli(["restore", await write("older.jsonl.gz", older)], envFor(empty))).code).toBe(0);
      const restored = await sql<{ email: string; textOnly: boolean }>(empty.db, `SELECT email, "textOnly" FROM "Subscriber" ORDER BY email`, []);
      expect(restored).toEqual([
        { email: "ada@example.org", textOnly: false },
        { email: "grace@example.org", textOnly: false },
      ]);
      const newer = [{ ...lines[0], migrations: [...lines[0].migrations, "29991231000000_from_the_future"] }, ...lines.slice(1)];
      const refused = await runCli(["restore", await write("newer.jsonl.gz", newer), "--replace"], envFor(empty));
      expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/made by a newer paperboy .*29991231000000_from_the_future.*upgrade first/) });
      expect((await sql<{ n: number }>(empty.db, `SELECT count(*)::int AS n FROM "Subscriber"`, []))[0]!.n).toBe(2);
    } finally {
      await empty.drop();
    }
  });

  it("writes to stdout when it is a file or a pipe (paperboy backup > file)", async () => {
    const file = path.join(dir, "stdout.jsonl.gz");
    const fd = openSync(file, "w");
    const code = await new Promise<number | null>((resolve) => {
      const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PAPERBOY_") && name !== "DATABASE_URL"));
      const child = spawn(process.execPath, [BIN, "backup"], { cwd: ROOT, env: { ...base, PAPERBOY_LOG_LEVEL: "warn", ...envFor(source) }, stdio: ["ignore", fd, "ignore"] });
      child.on("exit", resolve);
    });
    closeSync(fd);
    expect(code).toBe(0);
    const lines = gunzipSync(await readFile(file))
      .toString("utf8")
      .trimEnd()
      .split("\n");
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: "paperboy-backup" });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ end: true });
  });
});
