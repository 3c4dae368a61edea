// Issue 12, item 2: one relay-wide refusal suppressed the whole list. A real SMTP
// sink refuses on purpose: relay-wide (5.7.1, a bare 554 or 5.1.1 for everyone)
// the run stops after REFUSAL_LIMIT attempts, suppresses nobody and says so; once
// the relay is fixed everyone gets the digest exactly once. A refusal about one
// recipient (5.1.1) suppresses that address only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFUSAL_LIMIT } from "../../src/delivery/refusal-guard.ts";
import { formatRunReport, formatRunSummary } from "../../src/cli/format-report.ts";
import { processBatch } from "../../src/digest/worker.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import { listRuns } from "../../src/digest/runs.ts";
import { createLog } from "../../src/log.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import type { Reply } from "../helpers/smtp-sink.ts";
import { createWorld, type World } from "../helpers/digest-world.ts";

const DATE = "2026-05-14";
let world: World;
// What the relay answers to RCPT TO for an address right now; undefined accepts.
let relay: (address: string) => Reply | undefined = () => undefined;
const errors: string[] = [];

beforeAll(async () => {
  world = await createWorld({ start: `${DATE}T09:00:00Z`, script: { rejectRecipient: (address) => relay(address) } });
  world.deps.log = { ...createLog("silent"), error: (message) => errors.push(message) };
});
afterAll(async () => {
  await world.close();
});

async function addList(prefix: string, count: number): Promise<string[]> {
  const emails = Array.from({ length: count }, (_, i) => `${prefix}${i}@example.org`);
  for (const email of emails) await addSubscriber(world.test.db, { email, topics: [], maxPapers: 1, source: "cli" }, world.clock.now);
  return emails;
}
const received = (email: string) => world.sink.messages.filter((message) => message.to.includes(email)).length;
const suppressions = () => world.test.db.suppression.count({ where: { liftedAt: null } });
const bounced = (emails: string[]) => world.test.db.subscriber.count({ where: { email: { in: emails }, status: { not: "active" } } });

describe.each([
  ["550 5.7.1 Relaying denied", "relayed"],
  ["554 Transaction failed", "bare"],
  // A misconfigured relay that thinks every domain is local: "unknown" to everyone is about the relay.
  ["550 5.1.1 User unknown in local recipient table", "local"],
] as const)("a relay that answers %s to everyone", (reply, prefix) => {
  let emails: string[];
  beforeAll(async () => {
    emails = await addList(prefix, 30);
  });

  it(`stops the run after ${REFUSAL_LIMIT} attempts, suppresses nobody and says so`, async () => {
    relay = () => reply;
    errors.length = 0;
    const report = await runDigest(world.deps, { date: DATE, onlyEmails: emails });
    expect(report.counts).toMatchObject({ sent: 0, failed: REFUSAL_LIMIT });
    expect(report.counts.due).toBeLessThanOrEqual(30); // later pages are not even loaded
    expect(await suppressions()).toBe(0);
    expect(await bounced(emails)).toBe(0);
    const rows = await world.test.db.delivery.findMany({ where: { subscriber: { email: { in: emails } } } });
    const failed = rows.filter((row) => row.status !== "queued");
    expect(failed).toHaveLength(REFUSAL_LIMIT);
    for (const row of failed) expect(row).toMatchObject({ status: "failed", errorClass: "RELAY_REJECTED", nextAttemptAt: expect.any(Date) });
    // The rest of the batch was never claimed: handed back to the planner (lease over), planned again next run.
    for (const row of rows.filter((row) => row.status === "queued")) expect(row.leaseUntil!.getTime()).toBeLessThanOrEqual(world.clock.now.getTime());

    expect(report.alert).toMatch(new RegExp(`^Run stopped: the SMTP relay refused ${REFUSAL_LIMIT} recipients in a row .*nobody was suppressed`));
    expect(formatRunReport(report)).toContain(`ALERT: ${report.alert}`);
    expect(errors).toEqual([expect.stringContaining(`refused ${REFUSAL_LIMIT} recipients in a row`)]);
    // Hard bounces of the streak are taken back, and the record says by what.
    const lifted = await world.test.db.suppression.findMany({ where: { liftedAt: { not: null } } });
    expect(lifted.every((row) => row.liftedBy === "relay-wide refusal")).toBe(true);
    expect(lifted.length).toBe(prefix === "local" ? REFUSAL_LIMIT : 0);
    const [stored] = await listRuns(world.test.db, 1);
    expect(stored!.id).toBe(report.runId);
    expect(formatRunSummary(stored!)).toContain(`ALERT: ${report.alert}`);
  });

  it("sends to everyone exactly once after the relay is fixed", async () => {
    relay = () => undefined;
    world.clock.advance(10 * 60 * 1000); // past the first retry (5 min ± 20 %) of the refused few
    const report = await runDigest(world.deps, { date: DATE, onlyEmails: emails });
    expect(report.counts).toMatchObject({ sent: 30, failed: 0 });
    expect(report.alert).toBeUndefined();
    for (const email of emails) expect(received(email)).toBe(1);
    expect((await runDigest(world.deps, { date: DATE, onlyEmails: emails })).counts.sent).toBe(0);
  });
});

describe("a recipient the relay does not know", () => {
  it("suppresses that address only and sends to the rest", async () => {
    const emails = await addList("mixed", 8);
    const unknown = emails[3]!;
    relay = (address) => (address === unknown ? "550 5.1.1 No such user" : undefined);
    const report = await runDigest(world.deps, { date: DATE, onlyEmails: emails });
    expect(report.counts).toMatchObject({ sent: 7, failed: 1, deferred: 0 });
    expect(report.alert).toBeUndefined();
    expect(await suppressions()).toBe(1);
    expect(await world.test.db.subscriber.findUniqueOrThrow({ where: { email: unknown } })).toMatchObject({ status: "bounced" });
    expect(await bounced(emails)).toBe(1);
    for (const email of emails) expect(received(email)).toBe(email === unknown ? 0 : 1);
  });

  it("lets a few scattered refusals through without stopping", async () => {
    const emails = await addList("scattered", 12);
    // Every other recipient refused by policy: never REFUSAL_LIMIT in a row.
    relay = (address) => (emails.indexOf(address) % 2 === 0 ? "550 5.7.1 Message refused by policy" : undefined);
    const report = await runDigest(world.deps, { date: DATE, onlyEmails: emails });
    expect(report.counts).toMatchObject({ sent: 6, failed: 6, deferred: 0 });
    expect(report.alert).toBeUndefined();
    expect(await suppressions()).toBe(1); // still only the unknown user above
  });
});

describe("a worker batch against a relay that refuses everyone", () => {
  it("defers the rest of the batch and suppresses nobody", async () => {
    const emails = await addList("batch", 20);
    const ids = (await world.test.db.subscriber.findMany({ where: { email: { in: emails } }, orderBy: { id: "asc" } })).map((subscriber) => subscriber.id);
    relay = () => "550 5.7.1 Relaying denied";
    const result = await processBatch(world.deps, { digestKey: `daily:${DATE}`, day: DATE, ids });
    expect(result).toMatchObject({ sent: 0, failed: REFUSAL_LIMIT, deferred: 20 - REFUSAL_LIMIT });
    expect(await suppressions()).toBe(1);
    expect(await bounced(emails)).toBe(0);
  });
});
