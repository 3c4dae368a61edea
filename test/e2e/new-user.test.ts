// What a new user hit, through the real CLI in child processes against a real
// database: the demo's web app mails nobody, suppressed addresses are not re-added
// silently, `runs` shows what each run recorded, `preview` of a sent date says so.
import { spawn } from "node:child_process";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { BIN, ROOT, runCli } from "../helpers/run-cli.ts";
import { startSmtpSink } from "../helpers/smtp-sink.ts";

let test: TestDatabase;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  test = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), "paperboy-new-user-"));
  env = { DATABASE_URL: test.url, PAPERBOY_DATA_DIR: dir };
});
afterAll(async () => {
  await test.drop();
});

/** Runs `demo --serve` until it listens, then stops it with SIGTERM; resolves with its exit code and output. */
async function serveDemo(extra: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [BIN, "demo", "--serve"], {
    cwd: ROOT,
    env: { ...process.env, ...env, PAPERBOY_PORT: "0", PAPERBOY_LOG_LEVEL: "info", PAPERBOY_SOURCES: "none", PAPERBOY_THUMBNAILS: "off", ...extra },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        if (/listening on http/.test(output)) resolve();
      };
      child.stdout.on("data", read);
      child.stderr.on("data", read);
      child.on("exit", (code) => reject(new Error(`demo --serve exited ${code}: ${output}`)));
    });
    child.kill("SIGTERM");
    return { code: await exited, output };
  } finally {
    child.kill("SIGKILL");
  }
}

describe("paperboy demo --serve", () => {
  it("never plans, sends or records anything for a subscriber who is not a demo subscriber, with SMTP configured or not", async () => {
    expect((await runCli(["subscribers", "add", "real@example.org", "--topic", "agents"], env)).code).toBe(0);
    const sink = await startSmtpSink();
    try {
      for (const smtp of [{}, { PAPERBOY_SMTP_URL: sink.url }] as Array<Record<string, string>>) {
        const { code, output } = await serveDemo(smtp);
        expect(code, output).toBe(0);
        expect(output).toContain("sends no digests");
      }
      expect(sink.messages).toHaveLength(0);
    } finally {
      await sink.close();
    }
    expect(await test.db.delivery.count({ where: { subscriber: { email: "real@example.org" } } })).toBe(0);
    expect(await test.db.run.count({ where: { kind: "tick" } })).toBe(0);
    expect(await test.db.delivery.count({ where: { status: "sent" } })).toBe(4); // the demo's own, to its outbox
    expect((await readdir(path.join(dir, "outbox", "2026-05-14"))).filter((file) => file.endsWith(".eml"))).toHaveLength(4);
  });
});

describe("runs and preview after the demo", () => {
  it("`runs` shows the digest date and the counts the run recorded, even after --reset deleted its rows", async () => {
    expect((await runCli(["demo", "--reset"], env)).code).toBe(0);
    const runs = await runCli(["runs", "--last", "3"], env);
    expect(runs.code).toBe(0);
    const lines = runs.stdout.split("\n").filter((line) => line.startsWith("#"));
    expect(lines[0]).toMatch(/^#\d+ demo\s+daily:2026-05-14 .* sent 4, skipped 1, failed 0/);
    expect(lines[1]).toMatch(/^#\d+ demo\s+day 2026-05-14 .* sent 0, skipped 0, failed 0 \(before it: 4 already sent, 1 skipped\)/); // the second serve: all in the ledger
    // The first demo run's rows were deleted by --reset; its own report still says what it did.
    expect(lines[2]).toMatch(/^#\d+ demo\s+daily:2026-05-14 .* sent 4, skipped 1, failed 0/);
  });

  it("`preview` of a date already sent says so and shows what was sent", async () => {
    const sent = await test.db.delivery.findFirstOrThrow({ where: { subscriber: { email: "ada@example.org" }, digestKey: "daily:2026-05-14" } });
    const preview = await runCli(["preview", "ada@example.org", "--date", "2026-05-14", "--json"], env);
    expect(preview.code).toBe(0);
    const json = JSON.parse(preview.stdout) as { sentAt?: string; date: string; picks: Array<{ paperId: number }> };
    expect(json.sentAt).toBe(sent.sentAt?.toISOString());
    expect(json.date).toBe("2026-05-14"); // the digest's day, not the day it went out
    expect(json.picks.map((pick) => pick.paperId)).toEqual(sent.paperIds);
    const text = await runCli(["preview", "ada@example.org", "--date", "2026-05-14"], env);
    expect(text.stderr).toContain(`daily:2026-05-14 was already sent to ada@example.org at ${sent.sentAt?.toISOString()}; this is what was sent.`);
    expect(text.stdout).toMatch(/^Subject: 5 new papers: .{10,56}$/m);
  });
});

describe("a suppressed address", () => {
  it("is refused with why, and added only with --unsuppress, which is recorded", async () => {
    expect((await runCli(["suppress", "eve@example.org", "--reason", "asked by phone"], env)).code).toBe(0);
    const refused = await runCli(["subscribers", "add", "eve@example.org", "--topic", "agents"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/eve@example\.org is on the suppression list since \d{4}-\d{2}-\d{2} \(asked by phone\) and would never be mailed; add --unsuppress/);
    expect(await test.db.subscriber.count({ where: { email: "eve@example.org" } })).toBe(0);

    const lifted = await runCli(["subscribers", "add", "eve@example.org", "--topic", "agents", "--unsuppress"], env);
    expect(lifted.code).toBe(0);
    expect(lifted.stdout).toMatch(/Lifted the suppression of eve@example\.org \(since \d{4}-\d{2}-\d{2}: asked by phone\)/);
    expect(await test.db.suppression.findFirstOrThrow()).toMatchObject({ reason: "asked by phone", liftedAt: expect.any(Date), liftedBy: "cli" });
    expect(await test.db.subscriber.findUniqueOrThrow({ where: { email: "eve@example.org" } })).toMatchObject({ status: "active", consentSource: "cli" });
    const plan = JSON.parse((await runCli(["run", "--date", "2026-05-14", "--dry-run", "--json"], env)).stdout) as { outcomes: Array<{ email: string; status: string }> };
    expect(plan.outcomes.find((outcome) => outcome.email === "eve@example.org")).toMatchObject({ status: "planned" });

    // Suppressed again later: active again, with the new reason.
    expect((await runCli(["suppress", "eve@example.org", "--reason", "hard bounce"], env)).code).toBe(0);
    expect(await test.db.suppression.findFirstOrThrow()).toMatchObject({ reason: "hard bounce", liftedAt: null });
  });
});
