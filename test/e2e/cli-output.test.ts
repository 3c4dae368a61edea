// Bug (issue 11.6): output through a pipe was cut at 64 KiB, because the CLI
// called process.exit() before stdout had drained. Each command here writes
// megabytes into a pipe (runCli's stdout), which must arrive whole.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { HF_DAILY_FILES } from "../helpers/fixtures.ts";
import { BIN, ROOT, runCli } from "../helpers/run-cli.ts";

const SUBSCRIBERS = 3000;
const MEGABYTE = 1024 * 1024;

let test: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  test = await createTestDatabase();
  env = { DATABASE_URL: test.url, PAPERBOY_SECRET: "cli-output-secret".padEnd(40, "z") };
  const ingest = await runCli(["ingest", "--file", HF_DAILY_FILES["2026-05-14"]], env);
  expect(ingest.code, ingest.stderr).toBe(0);
  const topics = await Promise.all(
    [
      { kind: "keyword", query: "agents" },
      { kind: "phrase", query: "video generation" },
      { kind: "keyword", query: "reinforcement learning" },
    ].map((topic) => test.db.topic.create({ data: topic as { kind: "keyword" | "phrase"; query: string } })),
  );
  await test.db.subscriber.createMany({ data: Array.from({ length: SUBSCRIBERS }, (_, i) => ({ email: `reader-${i}@example.org`, status: "active" as const, sendHour: 0 })) });
  const ids = (await test.db.subscriber.findMany({ select: { id: true } })).map((row) => row.id);
  await test.db.subscriberTopic.createMany({ data: ids.flatMap((subscriberId) => topics.map((topic) => ({ subscriberId, topicId: topic.id }))) });
});
afterAll(async () => {
  await test.drop();
});

describe("CLI output through a pipe (issue 11.6)", () => {
  it("subscribers list --json delivers more than 1 MB whole", async () => {
    const list = await runCli(["subscribers", "list", "--json"], env);
    expect(list.code, list.stderr).toBe(0);
    expect(Buffer.byteLength(list.stdout)).toBeGreaterThan(MEGABYTE);
    const rows = JSON.parse(list.stdout) as Array<{ email: string }>;
    expect(rows).toHaveLength(SUBSCRIBERS);
    expect(rows.at(-1)?.email).toBe(`reader-${SUBSCRIBERS - 1}@example.org`);
  });

  it("run --dry-run --json delivers the whole plan", async () => {
    const plan = await runCli(["run", "--date", "2026-05-14", "--dry-run", "--json"], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(Buffer.byteLength(plan.stdout)).toBeGreaterThan(MEGABYTE);
    const report = JSON.parse(plan.stdout) as { counts: { planned: number }; outcomes: unknown[] };
    expect(report.counts.planned).toBe(SUBSCRIBERS);
    expect(report.outcomes).toHaveLength(SUBSCRIBERS);
  });

  it("subscribers export delivers every row", async () => {
    const exported = await runCli(["subscribers", "export"], env);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout.split("\n");
    expect(lines.at(-1)).toBe(""); // ends with a newline: the last row is complete
    expect(lines).toHaveLength(SUBSCRIBERS + 2);
  });

  it("a reader that stops early (| head) ends the command quietly, with its exit code", async () => {
    const child = spawn(process.execPath, [BIN, "subscribers", "list", "--json"], { cwd: ROOT, env: { ...process.env, ...env, PAPERBOY_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
