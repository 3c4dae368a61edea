// A day is never lost to papers that arrive late: a skip because nothing was there
// (no papers yet, a failed source, nothing matched) stays provisional, and papers
// ingested after it reopen the digest — for `paperboy run --date` and for ticks.
// Weekly and weekday digests take papers from the whole span they cover.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { formatRunReport } from "../../src/cli/format-report.ts";
import { processBatch, type CandidateCache } from "../../src/digest/worker.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import type { RunDeps } from "../../src/digest/run-deps.ts";
import { runTick } from "../../src/digest/tick.ts";
import { createLog, silentLog } from "../../src/log.ts";
import { CLOCK } from "../helpers/log-lines.ts";
import { loadTemplates } from "../../src/rendering/templates.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import type { Source } from "../../src/sources/source.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.ts";

let test: TestDatabase;
let sink: SmtpSink;
let deps: RunDeps;
let clock: { now: Date };

beforeEach(async () => {
  test = await createTestDatabase();
  sink = await startSmtpSink();
  clock = { now: new Date("2026-05-14T09:00:00Z") };
  deps = {
    db: test.db,
    mailer: createSmtpMailer({ url: sink.url }),
    templates: await loadTemplates(),
    log: silentLog,
    now: () => clock.now,
    mail: { secret: "late-secret".padEnd(40, "l"), publicUrl: "https://paperboy.example", from: "paperboy <digest@paperboy.example>", listName: "paperboy" },
    lookbackDays: 2,
  };
});
afterEach(async () => {
  await deps.mailer.close();
  await sink.close();
  await test.drop();
});

const ingest = async (files: string[]) => ingestBatch(test.db, await createJsonFileSource(files).fetchPapers());
const mailsTo = (email: string) => sink.messages.filter((message) => message.to.includes(email)).length;
const add = (email: string, topics: string[], extra: { cadence?: "weekly" | "weekdays"; maxPapers?: number } = {}) =>
  addSubscriber(test.db, { email, topics, maxPapers: extra.maxPapers ?? 5, source: "cli" }, clock.now).then(async (subscriber) => {
    if (extra.cadence) await test.db.subscriber.update({ where: { id: subscriber.id }, data: { cadence: extra.cadence } });
    return subscriber;
  });

describe("paperboy run --date before the day's papers are in", () => {
  it("skips, says skipped (not sent), then sends once the papers are ingested, and never sends twice", async () => {
    await add("ada@example.org", ["agents"]);
    await add("marie@example.org", ['"protein folding"']);

    const early = await runDigest(deps, { date: "2026-05-14" });
    expect(early.counts).toMatchObject({ skipped: 2, sent: 0 });
    expect(early.outcomes[0]?.reason).toBe("no papers were featured from 2026-05-13 to 2026-05-14");
    const again = await runDigest(deps, { date: "2026-05-14" });
    expect(again.counts).toMatchObject({ due: 0, alreadySent: 0, alreadySkipped: 2 });
    expect(formatRunReport(again)).toContain("Nothing new to send for 2026-05-14: 2 subscribers were skipped (nothing to send, and no papers have been ingested since).");
    expect(formatRunReport(again)).not.toMatch(/already sent/);

    await ingest(SAMPLE_FILES);
    const late = await runDigest(deps, { date: "2026-05-14" });
    expect(late.counts).toMatchObject({ due: 2, sent: 1, skipped: 1 });
    expect(mailsTo("ada@example.org")).toBe(1);
    expect(late.outcomes.find((outcome) => outcome.email === "marie@example.org")?.reason).toMatch(/^none of \d+ papers from 2026-05-13 to 2026-05-14 matched "protein folding"/);

    const last = await runDigest(deps, { date: "2026-05-14" });
    expect(last.counts).toMatchObject({ due: 0, alreadySent: 1, alreadySkipped: 1 });
    expect(formatRunReport(last)).toContain("Nothing new to send for 2026-05-14: 1 subscriber was already sent it; 1 was skipped");
    expect(mailsTo("ada@example.org")).toBe(1);
  });
});

describe("ticks after a failed source", () => {
  it("send the day's digest at the first tick after the source recovers, exactly once", async () => {
    await add("ada@example.org", ["agents"]);
    let up = false;
    const flaky: Source = {
      name: "hf",
      fetchPapers: async () => {
        if (!up) throw new Error("HTTP 503 from the fixture");
        return createJsonFileSource(SAMPLE_FILES).fetchPapers();
      },
    };
    const cache: CandidateCache = new Map();
    const tick = () => runTick({ db: test.db, log: silentLog, now: deps.now, sources: [flaky], enqueue: async (batch) => (await processBatch(deps, batch, cache), true) });

    const failed = await tick();
    expect(failed.ingest[0]).toMatchObject({ status: "failed" });
    expect(await test.db.delivery.findFirst()).toMatchObject({ digestKey: "daily:2026-05-14", status: "skipped" });
    clock.now = new Date("2026-05-14T09:15:00Z");
    expect((await tick()).due).toBe(0); // nothing new arrived: the skip holds, nobody is re-planned
    up = true;
    clock.now = new Date("2026-05-14T09:30:00Z");
    expect((await tick()).due).toBe(1);
    expect(mailsTo("ada@example.org")).toBe(1);
    for (const minute of ["45", "59"]) {
      clock.now = new Date(`2026-05-14T09:${minute}:00Z`);
      expect((await tick()).due).toBe(0);
    }
    expect(mailsTo("ada@example.org")).toBe(1);
    expect(await test.db.delivery.findFirst()).toMatchObject({ status: "sent", papersUpTo: null });
  });
});

describe("the window follows the cadence", () => {
  it("gives a weekly subscriber the whole week and a Monday weekday digest the weekend, a daily one its day", async () => {
    await ingest(SAMPLE_FILES); // listed 2026-05-12, -13 and -14
    // Monday 2026-05-18, 09:00 UTC: the week's papers are 4–6 days old.
    clock.now = new Date("2026-05-18T09:00:00Z");
    await add("weekly@example.org", [], { cadence: "weekly", maxPapers: 50 });
    await add("weekdays@example.org", [], { cadence: "weekdays", maxPapers: 50 });
    await add("daily@example.org", []);
    await test.db.$executeRawUnsafe(`UPDATE "Paper" SET "featuredOn" = "featuredOn" + 1 WHERE "featuredOn" = '2026-05-14'`); // some listed on Friday the 15th
    const cache: CandidateCache = new Map();
    await runTick({ db: test.db, log: silentLog, now: deps.now, sources: [], enqueue: async (batch) => (await processBatch(deps, batch, cache), true) });
    const rows = await test.db.delivery.findMany({ include: { subscriber: true } });
    const byEmail = Object.fromEntries(rows.map((row) => [row.subscriber.email, row]));
    const days = async (ids: number[]) => [...new Set((await test.db.paper.findMany({ where: { id: { in: ids } } })).map((paper) => paper.featuredOn.toISOString().slice(0, 10)))].sort();

    expect(byEmail["weekly@example.org"]).toMatchObject({ digestKey: "weekly:2026-W21", status: "sent" });
    expect(await days(byEmail["weekly@example.org"]!.paperIds)).toEqual(["2026-05-12", "2026-05-13", "2026-05-15"]);
    expect(byEmail["weekdays@example.org"]).toMatchObject({ digestKey: "daily:2026-05-18", status: "sent" });
    expect(await days(byEmail["weekdays@example.org"]!.paperIds)).toEqual(["2026-05-15"]);
    expect(byEmail["daily@example.org"]).toMatchObject({ digestKey: "daily:2026-05-18", status: "skipped", error: "no papers were featured from 2026-05-17 to 2026-05-18" });
  });
});

describe("a source whose error carries control characters", () => {
  it("is logged and stored in the tick's report escaped (jsonb refuses NUL), and the tick finishes", async () => {
    const lines: string[] = [];
    const hostile: Source = { name: "hf", fetchPapers: async () => Promise.reject(new Error("bad id 2605.\u0000\u001b[2J\n[error] forged")) };
    const report = await runTick({ db: test.db, log: createLog("warn", (line) => lines.push(line.replace(CLOCK, ""))), now: deps.now, sources: [hostile], enqueue: async () => true });
    const escaped = String.raw`bad id 2605.\u0000\u001b[2J\u000a[error] forged`;
    expect(report.ingest[0]).toMatchObject({ status: "failed", error: escaped });
    expect(lines).toEqual([`[warn] source hf failed: ${escaped}\n`]);
    const run = await test.db.run.findUniqueOrThrow({ where: { id: report.runId } });
    expect(run.finishedAt).not.toBeNull();
    expect(JSON.stringify(run.report)).toContain(JSON.stringify(escaped).slice(1, -1));
  });
});
