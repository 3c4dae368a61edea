// The scheduler with a fixed clock walked across days: every subscriber gets one
// digest per local day at their hour, across time zones and DST changes, and two
// schedulers racing send nothing twice. Ticks are called directly; no sleeps.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findDue, type DigestBatch } from "../../src/digest/plan.ts";
import { processBatch, type CandidateCache } from "../../src/digest/worker.ts";
import { startQueue } from "../../src/digest/queue.ts";
import { runTick } from "../../src/digest/tick.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { createWorld, type World } from "../helpers/digest-world.ts";

const QUARTER = 15 * 60 * 1000;

/** Local date and hour of `instant` in `zone`, computed by Intl (independently of PostgreSQL). */
function local(instant: Date, zone: string): { date: string; hour: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", hourCycle: "h23" })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) };
}

/** For each local date in the walk: the first tick at or after the send hour. */
function expectedSends(zone: string, sendHour: number, ticks: Date[]): Map<string, string> {
  const expected = new Map<string, string>();
  for (const tick of ticks) {
    const { date, hour } = local(tick, zone);
    if (hour >= sendHour && !expected.has(date)) expected.set(date, tick.toISOString());
  }
  return expected;
}

async function walk(world: World, from: string, to: string, cache: CandidateCache = new Map()): Promise<Date[]> {
  const ticks: Date[] = [];
  for (world.clock.set(from); world.clock.now.getTime() < new Date(to).getTime(); world.clock.advance(QUARTER)) {
    ticks.push(world.clock.now);
    await runTick({ db: world.test.db, log: world.deps.log, now: world.deps.now, sources: [], enqueue: async (batch) => (await processBatch(world.deps, batch, cache), true) });
  }
  return ticks;
}

async function decisions(world: World, email: string): Promise<Map<string, string>> {
  const rows = await world.test.db.delivery.findMany({ where: { subscriber: { email } }, orderBy: { createdAt: "asc" } });
  return new Map(rows.map((row) => [row.digestKey.replace("daily:", ""), row.createdAt.toISOString()]));
}

describe("one digest per local day, at the subscriber's hour", () => {
  let world: World;
  const zones = { "la@example.org": "America/Los_Angeles", "utc@example.org": "UTC", "kolkata@example.org": "Asia/Kolkata", "auckland@example.org": "Pacific/Auckland" };
  beforeAll(async () => {
    // Papers moved from May to January, when Los Angeles is UTC−8 and Auckland UTC+13.
    world = await createWorld({ start: "2026-01-13T00:00:00Z", shiftDays: -120 });
    for (const [email, timezone] of Object.entries(zones)) await addSubscriber(world.test.db, { email, topics: [], maxPapers: 1, timezone, sendHour: 8, source: "cli" }, world.clock.now);
  });
  afterAll(async () => {
    await world.close();
  });

  it("walks two days in 15-minute ticks: UTC−8, UTC, UTC+5:30 and UTC+13 each get one email per day at 08:00 local", async () => {
    const ticks = await walk(world, "2026-01-13T00:00:00Z", "2026-01-15T00:00:00Z");
    let total = 0;
    for (const [email, zone] of Object.entries(zones)) {
      const expected = expectedSends(zone, 8, ticks);
      expect(await decisions(world, email)).toEqual(expected);
      const rows = await world.test.db.delivery.findMany({ where: { subscriber: { email } } });
      expect(rows.every((row) => row.status === "sent")).toBe(true);
      expect(world.sink.messages.filter((message) => message.to.includes(email))).toHaveLength(expected.size);
      total += expected.size;
      for (const [date, at] of expected) {
        // the first tick of the local day at or after 08:00 — 08:00 itself unless the walk began later that day
        const { hour } = local(new Date(at), zone);
        expect(hour === 8 || at === ticks[0]!.toISOString(), `${email} ${date} at ${at}`).toBe(true);
      }
    }
    // At the start it was already past 08:00 on 12 January in Los Angeles and 13 January in
    // Auckland: those days were caught up at the first tick. 3 + 2 + 2 + 3 in all.
    expect(total).toBe(10);
    expect(world.sink.messages).toHaveLength(total);
  });

  it("sends nothing more when the same day is ticked again", async () => {
    const before = world.sink.messages.length;
    await walk(world, "2026-01-14T20:00:00Z", "2026-01-14T23:00:00Z");
    expect(world.sink.messages.length).toBe(before);
  });
});

describe("across daylight-saving changes", () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ start: "2026-03-07T00:00:00Z" });
    // 02:00 does not exist on 8 March in New York; 01:00 happens twice on 1 November.
    await addSubscriber(world.test.db, { email: "gap@example.org", topics: [], maxPapers: 1, timezone: "America/New_York", sendHour: 2, source: "cli" }, world.clock.now);
    await addSubscriber(world.test.db, { email: "twice@example.org", topics: [], maxPapers: 1, timezone: "America/New_York", sendHour: 1, source: "cli" }, world.clock.now);
  });
  afterAll(async () => {
    await world.close();
  });

  it.each([
    ["spring forward", "2026-03-07T00:00:00Z", "2026-03-10T12:00:00Z", "2026-03-08"],
    ["fall back", "2026-10-31T00:00:00Z", "2026-11-03T12:00:00Z", "2026-11-01"],
  ])("%s: one decision per local day, at the first tick past the hour", async (_, from, to, changeDay) => {
    const ticks = await walk(world, from, to);
    for (const [email, hour] of [
      ["gap@example.org", 2],
      ["twice@example.org", 1],
    ] as const) {
      const expected = expectedSends("America/New_York", hour, ticks);
      const seen = await decisions(world, email);
      for (const [date, at] of expected) expect(seen.get(date), `${email} ${date}`).toBe(at);
      expect(expected.has(changeDay)).toBe(true);
      expect([...seen.keys()].filter((date) => date === changeDay)).toHaveLength(1);
    }
    const perRecipient = new Map<string, number>();
    for (const message of world.sink.messages) perRecipient.set(message.to[0]!, (perRecipient.get(message.to[0]!) ?? 0) + 1);
    const days = await world.test.db.delivery.count({ where: { status: "sent" } });
    expect([...perRecipient.values()].reduce((a, b) => a + b, 0)).toBe(days); // one email per sent decision, none doubled
  });
});

describe("cadence and pause", () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ start: "2026-01-17T12:00:00Z" }); // a Saturday
    const add = (email: string, extra: object) => addSubscriber(world.test.db, { email, topics: [], source: "cli", ...extra }, world.clock.now);
    await add("daily@example.org", {});
    await add("weekdays@example.org", {});
    await add("weekly@example.org", {});
    await add("paused@example.org", {});
    await world.test.db.subscriber.update({ where: { email: "weekdays@example.org" }, data: { cadence: "weekdays" } });
    await world.test.db.subscriber.update({ where: { email: "weekly@example.org" }, data: { cadence: "weekly" } });
    await world.test.db.subscriber.update({ where: { email: "paused@example.org" }, data: { pausedUntil: new Date("2026-01-20T00:00:00Z") } });
  });
  afterAll(async () => {
    await world.close();
  });

  const due = async (iso: string) => {
    const entries: Array<{ email: string; key: string }> = [];
    for await (const page of findDue(world.test.db, { now: new Date(iso) })) {
      for (const entry of page.due) entries.push({ email: (await world.test.db.subscriber.findUniqueOrThrow({ where: { id: entry.id } })).email, key: entry.digestKey });
    }
    return entries.sort((a, b) => a.email.localeCompare(b.email));
  };

  it("skips weekends for weekdays, sends weekly once per ISO week, and waits out a pause", async () => {
    expect(await due("2026-01-17T12:00:00Z")).toEqual([
      { email: "daily@example.org", key: "daily:2026-01-17" },
      { email: "weekly@example.org", key: "weekly:2026-W03" },
    ]);
    await world.test.db.delivery.create({ data: { subscriber: { connect: { email: "weekly@example.org" } }, digestKey: "weekly:2026-W03", status: "sent" } });
    expect((await due("2026-01-18T12:00:00Z")).map((entry) => entry.email)).toEqual(["daily@example.org"]);
    expect(await due("2026-01-20T12:00:00Z")).toEqual([
      { email: "daily@example.org", key: "daily:2026-01-20" },
      { email: "paused@example.org", key: "daily:2026-01-20" },
      { email: "weekdays@example.org", key: "daily:2026-01-20" },
      { email: "weekly@example.org", key: "weekly:2026-W04" },
    ]);
    expect(await due("2026-01-20T07:59:00Z")).toEqual([]); // before 08:00 UTC nobody is due
  });

  it("never plans the demo's example subscribers on a tick", async () => {
    await addSubscriber(world.test.db, { email: "demo.reader@example.org", topics: [], source: "demo" }, new Date("2026-01-01T00:00:00Z"));
    await world.test.db.subscriber.update({ where: { email: "demo.reader@example.org" }, data: { status: "active" } });
    const queued: number[] = [];
    await runTick({ db: world.test.db, log: world.deps.log, now: () => new Date("2026-01-21T12:00:00Z"), sources: [], enqueue: async (batch) => (queued.push(...batch.ids), true) });
    const emails = (await world.test.db.subscriber.findMany({ where: { id: { in: queued } } })).map((row) => row.email).sort();
    expect(emails).toContain("daily@example.org");
    expect(emails).not.toContain("demo.reader@example.org");
    // The planner itself still finds them when asked without the rule (the demo asks for its own addresses).
    expect((await due("2026-01-21T12:00:00Z")).map((entry) => entry.email)).toContain("demo.reader@example.org");
  });
});

describe("two schedulers on one database", () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld({ start: "2026-05-14T09:00:00Z" });
    for (let i = 0; i < 450; i++) await world.test.db.subscriber.create({ data: { email: `reader${i}@example.org`, status: "active", maxPapers: 1 } });
  });
  afterAll(async () => {
    await world.close();
  });

  it("racing ticks that both process what they plan send each digest once", async () => {
    const cache: CandidateCache = new Map();
    const tick = () =>
      runTick({ db: world.test.db, log: world.deps.log, now: world.deps.now, sources: [], enqueue: async (batch) => (await processBatch({ ...world.deps, concurrency: 4 }, batch, cache), true) });
    await Promise.all([tick(), tick()]);
    expect(world.sink.messages).toHaveLength(450);
    expect(new Set(world.sink.messages.map((message) => message.to[0])).size).toBe(450);
    expect(await world.test.db.delivery.count({ where: { status: "sent" } })).toBe(450);
  });

  it("racing ticks enqueue each batch once on pg-boss, and its workers deliver nothing twice", async () => {
    await world.test.db.delivery.deleteMany();
    await world.test.db.sentPaper.deleteMany();
    world.sink.messages.length = 0;
    world.clock.advance(24 * 60 * 60 * 1000);
    const queue = await startQueue(world.test.url, world.deps.log);
    try {
      const enqueued: DigestBatch[] = [];
      const tick = () =>
        runTick({ db: world.test.db, log: world.deps.log, now: world.deps.now, sources: [], enqueue: async (batch) => ((await queue.enqueue(batch)) ? (enqueued.push(batch), true) : false) });
      const [first, second] = await Promise.all([tick(), tick()]);
      // The ledger queues each subscriber for one of the two: every one in exactly one batch.
      const queued = enqueued.flatMap((batch) => batch.ids);
      expect(queued).toHaveLength(450);
      expect(new Set(queued).size).toBe(450);
      expect(first.enqueued + second.enqueued).toBe(enqueued.length);
      expect(first.alreadyQueued + second.alreadyQueued).toBe(first.due + second.due - 450);
      await queue.work({ ...world.deps, concurrency: 4 }, 2);
      await expect.poll(() => world.test.db.delivery.count({ where: { status: "sent" } }), { timeout: 240_000, interval: 200 }).toBe(450); // ~50 s on a loaded machine
      expect(world.sink.messages).toHaveLength(450);
      expect(new Set(world.sink.messages.map((message) => message.to[0])).size).toBe(450);
      expect(await queue.enqueue(enqueued[0]!)).toBe(false); // still known to pg-boss: a late scheduler adds nothing
    } finally {
      await queue.stop();
    }
  });
});
