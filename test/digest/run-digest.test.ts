// `paperboy run --date` goes through the planner, like a tick: each subscriber's
// cadence decides whether they are due that day, their digest key and the days
// their digest covers; the ledger keeps a second run (or a tick) from sending again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatRunReport } from "../../src/cli/format-report.ts";
import { CLAIM_LEASE_MS } from "../../src/delivery/ledger.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { createWorld, type World } from "../helpers/digest-world.ts";

describe("paperboy run --date", () => {
  let world: World;
  const emailsOf = (report: Awaited<ReturnType<typeof runDigest>>, status: string) =>
    report.outcomes
      .filter((outcome) => outcome.status === status)
      .map((outcome) => outcome.email)
      .sort();
  beforeAll(async () => {
    // The sample lists papers on Tue 12 – Thu 14 May 2026; the clock is early on Saturday 16 May.
    world = await createWorld({ start: "2026-05-16T01:00:00Z" });
    for (const [email, cadence] of [
      ["daily@example.org", "daily"],
      ["weekdays@example.org", "weekdays"],
      ["weekly@example.org", "weekly"],
    ] as const) {
      // Send hour 23 in Tokyo: a tick now would find nobody due; a run for a date sends that day's digests at once.
      await addSubscriber(world.test.db, { email, topics: [], maxPapers: 3, timezone: "Asia/Tokyo", sendHour: 23, source: "cli" }, world.clock.now);
      await world.test.db.subscriber.update({ where: { email }, data: { cadence } });
    }
  });
  afterAll(async () => {
    await world.close();
  });

  it("on a Saturday: the weekly digest covers its week, weekday readers get nothing, the daily one has no papers that day", async () => {
    const report = await runDigest(world.deps, { date: "2026-05-16" });
    expect(report.digests.map((digest) => [digest.key, digest.since, digest.until])).toEqual([
      ["daily:2026-05-16", "2026-05-15", "2026-05-16"],
      ["weekly:2026-W20", "2026-05-09", "2026-05-16"],
    ]);
    expect(emailsOf(report, "sent")).toEqual(["weekly@example.org"]);
    expect(emailsOf(report, "skipped")).toEqual(["daily@example.org"]);
    expect(report.outcomes.map((outcome) => outcome.email)).not.toContain("weekdays@example.org");
    const weekly = await world.test.db.delivery.findMany({ where: { subscriber: { email: "weekly@example.org" } } });
    expect(weekly.map((row) => [row.digestKey, row.status])).toEqual([["weekly:2026-W20", "sent"]]);
    expect(formatRunReport(report)).toContain("Digest weekly:2026-W20: ");
  });

  it("on the Thursday before: the weekly reader already has this week's digest; daily and weekday readers get Thursday's", async () => {
    const report = await runDigest(world.deps, { date: "2026-05-14" });
    expect(emailsOf(report, "sent")).toEqual(["daily@example.org", "weekdays@example.org"]);
    expect(report.counts).toMatchObject({ due: 2, sent: 2, alreadySent: 1 });
    expect(world.sink.messages.filter((message) => message.to.includes("weekly@example.org"))).toHaveLength(1);
  });

  it("a dry run plans the same and writes nothing", async () => {
    const before = await world.test.db.delivery.count();
    const report = await runDigest(world.deps, { date: "2026-05-15", dryRun: true });
    expect(emailsOf(report, "planned").length + emailsOf(report, "skipped").length).toBe(2);
    expect(report.counts.alreadySent).toBe(1);
    expect(await world.test.db.delivery.count()).toBe(before);
    expect(report.runId).toBeUndefined();
  });
});

// `npm run faults`, kill -9 of `paperboy run`: the rows a killed run had queued but not claimed stayed
// closed for the queue's 30-minute lease, so the run again after the 10-minute claim lease skipped them.
describe("paperboy run --date after a run that died", () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ start: "2026-05-14T12:00:00Z" });
    for (let i = 0; i < 60; i++) await addSubscriber(world.test.db, { email: `dead${i}@example.org`, topics: [], maxPapers: 1, source: "cli" }, world.clock.now);
  });
  afterAll(async () => {
    await world.close();
  });

  it("sends everyone the dead run had queued, claimed or not, once its claims' lease has passed", async () => {
    // The first run's relay takes its first message and never answers: the run is as good as killed.
    let taken = 0;
    const hung = { ...world.deps.mailer, send: () => (taken++, new Promise<never>(() => {})) };
    void runDigest({ ...world.deps, mailer: hung }, { date: "2026-05-14" });
    await expect.poll(() => taken).toBe(1);
    expect(await world.test.db.delivery.count({ where: { status: "queued" } })).toBeGreaterThan(0);
    world.clock.advance(CLAIM_LEASE_MS + 60_000);
    const report = await runDigest(world.deps, { date: "2026-05-14" });
    expect(report.counts.sent).toBe(60);
    expect(await world.test.db.delivery.count({ where: { status: { not: "sent" } } })).toBe(0);
  });
});
