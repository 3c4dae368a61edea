// Nobody loses a day to an SMTP outage on the queue path: the relay is down at
// the tick, up after it; ticks at the default 15-minute cadence send every
// subscriber exactly one digest that day (real pg-boss, workers, SMTP sink).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCircuitBreaker } from "../../src/delivery/circuit-breaker.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { startQueue, type Queue } from "../../src/digest/queue.ts";
import { runTick } from "../../src/digest/tick.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { createWorld, type World } from "../helpers/digest-world.ts";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.ts";

const QUARTER = 15 * 60 * 1000;
const SUBSCRIBERS = 30;

let world: World;
let queue: Queue;
let relay: SmtpSink | undefined;
let port: number;
const mailer = () => createSmtpMailer({ url: `smtp://127.0.0.1:${port}`, maxConnections: 5 });
let smtp: ReturnType<typeof mailer>;

beforeAll(async () => {
  world = await createWorld({ start: "2026-05-14T08:00:00Z" });
  for (let i = 0; i < SUBSCRIBERS; i++) await addSubscriber(world.test.db, { email: `reader${i}@example.org`, topics: [], maxPapers: 1, source: "cli" }, world.clock.now);
  const probe = await startSmtpSink();
  port = probe.port;
  await probe.close(); // the relay is down: connections to its port are refused
  smtp = mailer();
  queue = await startQueue(world.test.url, world.deps.log);
  await queue.work({ ...world.deps, mailer: smtp, concurrency: 5, breaker: createCircuitBreaker({ now: world.deps.now }) }, 1);
});
afterAll(async () => {
  await queue.stop();
  await smtp.close();
  await relay?.close();
  await world.close();
});

const tick = () => runTick({ db: world.test.db, log: world.deps.log, now: world.deps.now, sources: [], enqueue: (batch) => queue.enqueue(batch) });
/** The workers are done with what the last tick queued: nothing is being sent or waiting for a worker. */
const settled = async () => (await world.test.db.delivery.count({ where: { OR: [{ status: "sending" }, { status: "queued", leaseUntil: { gt: world.clock.now } }] } })) === 0;
const received = () => (relay?.messages ?? []).map((message) => message.to[0]!);

describe("an SMTP outage at the tick", () => {
  it("loses nobody: the next ticks after the relay is back send everyone exactly one digest", async () => {
    const first = await tick();
    expect(first.due).toBe(SUBSCRIBERS);
    await expect.poll(settled).toBe(true);
    const after = await world.test.db.delivery.groupBy({ by: ["status"], _count: { _all: true } });
    expect(after.find((row) => row.status === "sent")).toBeUndefined();
    expect(await world.test.db.delivery.count({ where: { status: "failed", errorClass: "SMTP_UNAVAILABLE", nextAttemptAt: { not: null } } })).toBeGreaterThan(0);

    relay = await startSmtpSink({}, port);
    const ticks: number[] = [];
    for (let i = 0; i < 8 && new Set(received()).size < SUBSCRIBERS; i++) {
      world.clock.advance(QUARTER);
      ticks.push((await tick()).due);
      await expect.poll(settled).toBe(true);
    }
    expect(new Set(received()).size).toBe(SUBSCRIBERS);
    expect(ticks[0]).toBeGreaterThan(0); // deferred and retry-due subscribers were planned again at once
    for (let i = 0; i < 2; i++) {
      world.clock.advance(QUARTER);
      expect((await tick()).due).toBe(0);
    }
    expect(received()).toHaveLength(SUBSCRIBERS); // exactly one each
    expect(await world.test.db.delivery.count({ where: { status: "sent", digestKey: "daily:2026-05-14" } })).toBe(SUBSCRIBERS);
  });
});
