// Every SMTP failure class against a real, misbehaving SMTP server: what the
// ledger says afterwards, and what the retry does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCircuitBreaker } from "../../src/delivery/circuit-breaker.ts";
import { STATUS_FRESH_MS } from "../../src/delivery/send-page.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { processBatch } from "../../src/digest/worker.ts";
import type { DigestBatch } from "../../src/digest/plan.ts";
import { addSubscriber, hashAddress } from "../../src/subscriptions/store.ts";
import { createLog } from "../../src/log.ts";
import { CLOCK } from "../helpers/log-lines.ts";
import { startSmtpSink } from "../helpers/smtp-sink.ts";
import { createWorld, type World } from "../helpers/digest-world.ts";

const FAULTS = { "t421@example.org": 421, "t450@example.org": 450, "hard550@example.org": 550, "drop-before@example.org": "drop-at-rcpt", "drop-after@example.org": "drop-after-data" } as const;
let world: World;
let batch: DigestBatch;
const warnings: string[] = [];

beforeAll(async () => {
  // Each address misbehaves on its first delivery only.
  world = await createWorld({ start: "2026-05-14T09:00:00Z", script: { fault: (address, attempt) => (attempt === 1 ? FAULTS[address as keyof typeof FAULTS] : undefined) } });
  const ids: number[] = [];
  for (const email of ["ok@example.org", ...Object.keys(FAULTS)]) {
    ids.push((await addSubscriber(world.test.db, { email, topics: [], maxPapers: 2, source: "cli" }, world.clock.now)).id);
  }
  batch = { digestKey: "daily:2026-05-14", day: "2026-05-14", ids };
  world.deps.log = createLog("warn", (line) => warnings.push(line.replace(CLOCK, "")));
});
afterAll(async () => {
  await world.close();
});

const row = (email: string) => world.test.db.delivery.findFirstOrThrow({ where: { subscriber: { email } } });
const received = (email: string) => world.sink.messages.filter((message) => message.to.includes(email)).length;

describe("SMTP failure classes", () => {
  it("ends each class of the first attempt in the right ledger state", async () => {
    const result = await processBatch(world.deps, batch);
    expect(result).toMatchObject({ sent: 1, failed: 5 });
    const now = world.clock.now.getTime();

    expect(await row("ok@example.org")).toMatchObject({ status: "sent", attempts: 1, possibleDuplicate: false });
    const t450 = await row("t450@example.org");
    expect(t450).toMatchObject({ status: "failed", errorClass: "SMTP_TEMPORARY", possibleDuplicate: false });
    expect(t450.nextAttemptAt!.getTime()).toBeGreaterThan(now);
    // A 421 closes the connection; nodemailer reports only the closed connection, which
    // could as well have happened after the data went through: retried, counted as unsure.
    const t421 = await row("t421@example.org");
    expect(t421).toMatchObject({ status: "failed", errorClass: "SMTP_OUTCOME_UNKNOWN" });
    expect(t421.nextAttemptAt!.getTime()).toBeGreaterThan(now);
    expect(received("t421@example.org") + received("t450@example.org")).toBe(0);
    expect(await row("hard550@example.org")).toMatchObject({ status: "failed", errorClass: "RECIPIENT_REJECTED", nextAttemptAt: null });
    expect((await world.test.db.subscriber.findUniqueOrThrow({ where: { email: "hard550@example.org" } })).status).toBe("bounced");
    expect(await world.test.db.suppression.count({ where: { addressHash: hashAddress("hard550@example.org") } })).toBe(1);

    const before = await row("drop-before@example.org");
    expect(before).toMatchObject({ status: "failed", errorClass: "SMTP_OUTCOME_UNKNOWN" });
    expect(before.nextAttemptAt!.getTime()).toBeGreaterThan(now);
    expect(received("drop-before@example.org")).toBe(0);

    const after = await row("drop-after@example.org");
    expect(after).toMatchObject({ status: "failed", errorClass: "SMTP_OUTCOME_UNKNOWN", possibleDuplicate: true });
    expect(after.nextAttemptAt!.getTime()).toBeGreaterThan(now);
    expect(received("drop-after@example.org")).toBe(1); // it did arrive: the reply was what got lost
  });

  it("names each failed recipient in the warnings by subscriber id and masked address, never the full address", async () => {
    const hard = await world.test.db.subscriber.findUniqueOrThrow({ where: { email: "hard550@example.org" } });
    expect(warnings.some((line) => line.startsWith(`[warn] Sending to subscriber ${hard.id} (h***@example.org) failed: `))).toBe(true);
    expect(warnings.length).toBeGreaterThanOrEqual(5);
    for (const line of warnings) expect(line).not.toMatch(/[a-z0-9-]{2,}@example\.org/);
  });

  it("retries the temporary classes after their backoff, never the hard bounce, and flags the duplicate", async () => {
    world.clock.advance(60 * 60 * 1000);
    const result = await processBatch(world.deps, batch);
    expect(result).toMatchObject({ sent: 4, failed: 0 });
    for (const email of ["t421@example.org", "t450@example.org", "drop-before@example.org"]) {
      expect(await row(email)).toMatchObject({ status: "sent", attempts: 2 });
      expect(received(email)).toBe(1);
    }
    expect(await row("drop-after@example.org")).toMatchObject({ status: "sent", attempts: 2, possibleDuplicate: true });
    expect(received("drop-after@example.org")).toBe(2);
    expect(await row("hard550@example.org")).toMatchObject({ status: "failed", attempts: 1 });
    expect(received("hard550@example.org")).toBe(0);
    expect(received("ok@example.org")).toBe(1);
  });
});

describe("SMTP server down", () => {
  it("marks nothing sent, schedules retries, and the circuit breaker stops further attempts", async () => {
    const down = await startSmtpSink();
    await down.close();
    const mailer = createSmtpMailer({ url: down.url });
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) ids.push((await addSubscriber(world.test.db, { email: `down${i}@example.org`, topics: [], maxPapers: 1, source: "cli" }, world.clock.now)).id);
    const breaker = createCircuitBreaker({ window: 5, threshold: 0.8, coolDownMs: 60_000, now: world.deps.now });
    const result = await processBatch({ ...world.deps, mailer, breaker }, { digestKey: "daily:2026-05-14", day: "2026-05-14", ids });
    await mailer.close();
    expect(result).toMatchObject({ sent: 0, failed: 5, deferred: 7, possibleDuplicates: 0 });
    const rows = await world.test.db.delivery.findMany({ where: { subscriberId: { in: ids } } });
    const failed = rows.filter((row) => row.status === "failed");
    expect(failed).toHaveLength(5);
    for (const delivery of failed) expect(delivery).toMatchObject({ errorClass: "SMTP_UNAVAILABLE", possibleDuplicate: false, nextAttemptAt: expect.any(Date) });
    // The deferred ones were claimed with their chunk and handed back unsent: queued, their lease over, the attempt not counted — the next tick plans them again.
    const deferred = rows.filter((row) => row.status !== "failed");
    expect(deferred).toHaveLength(7);
    for (const delivery of deferred) expect(delivery).toMatchObject({ status: "queued", attempts: 0, possibleDuplicate: false, leaseUntil: world.clock.now });
  });
});

describe("unsubscribe during a run", () => {
  it(`sends nothing to a subscriber who unsubscribed after the batch was planned, once ${STATUS_FRESH_MS} ms have passed`, async () => {
    const ids: number[] = [];
    for (const email of ["early@example.org", "leaver@example.org"]) ids.push((await addSubscriber(world.test.db, { email, topics: [], maxPapers: 1, source: "cli" }, world.clock.now)).id);
    const realSend = world.deps.mailer.send.bind(world.deps.mailer);
    // The unsubscribe commits while the first message is being sent, and the clock moves on.
    const mailer = {
      ...world.deps.mailer,
      async send(message: Parameters<typeof realSend>[0]) {
        if (message.to === "early@example.org") {
          await world.test.db.subscriber.update({ where: { email: "leaver@example.org" }, data: { status: "unsubscribed" } });
          world.clock.advance(STATUS_FRESH_MS + 1);
        }
        return realSend(message);
      },
    };
    const result = await processBatch({ ...world.deps, mailer, concurrency: 1 }, { digestKey: "daily:2026-05-15", day: "2026-05-15", ids });
    expect(result).toMatchObject({ sent: 1, skipped: 1 });
    expect(received("leaver@example.org")).toBe(0);
    expect(await world.test.db.delivery.findFirstOrThrow({ where: { subscriber: { email: "leaver@example.org" }, digestKey: "daily:2026-05-15" } })).toMatchObject({
      status: "skipped",
      error: "subscriber is unsubscribed",
    });
  });
});
