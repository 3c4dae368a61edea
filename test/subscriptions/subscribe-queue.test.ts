// The web app's subscribe queue against a real database and SMTP sink: requests
// outlive a stop, several processes share the work without mailing twice, and a
// bad request neither stops the others nor shows an address in the log.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.ts";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { createLog } from "../../src/log.ts";
import { CLOCK } from "../helpers/log-lines.ts";
import { loadTemplates, type Templates } from "../../src/rendering/templates.ts";
import { startSubscribeQueue, SUBSCRIBE_LEASE_MS, type SubscribeQueue } from "../../src/subscriptions/subscribe-queue.ts";
import type { SubscribeDeps } from "../../src/subscriptions/subscribe.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.ts";

let test: TestDatabase;
let sink: SmtpSink;
let templates: Templates;
const queues: SubscribeQueue[] = [];
const closers: (() => Promise<void>)[] = [];
let offsetMs = 0;
const now = () => new Date(Date.UTC(2026, 4, 14, 12) + offsetMs);

beforeAll(async () => {
  test = await createTestDatabase();
  sink = await startSmtpSink();
  templates = await loadTemplates();
});
afterEach(async () => {
  await Promise.all(queues.splice(0).map((queue) => queue.stop()));
  await Promise.all(closers.splice(0).map((close) => close()));
});
afterAll(async () => {
  await sink.close();
  await test.drop();
});

function startQueue(options: { db?: Db; lines?: string[] } = {}): SubscribeQueue {
  const mailer = createSmtpMailer({ url: sink.url });
  closers.push(() => mailer.close());
  const log = createLog("warn", (line) => options.lines?.push(line.replace(CLOCK, "")));
  const deps: SubscribeDeps = {
    db: options.db ?? test.db,
    mailer,
    templates,
    log,
    now,
    mail: { secret: "s".repeat(40), publicUrl: "https://paperboy.example", from: "paperboy <digest@paperboy.example>", listName: "paperboy" },
  };
  const queue = startSubscribeQueue(deps);
  queues.push(queue);
  return queue;
}
const mailsTo = (email: string) => sink.messages.filter((message) => message.to.includes(email)).length;
const stored = () => test.db.subscribeRequest.findMany({ orderBy: { id: "asc" } });

describe("the subscribe queue", () => {
  it("processes, when it starts, a request stored by a process that stopped or crashed before processing it", async () => {
    // As submit stores it, never claimed: its process stopped or died right after answering.
    await test.db.subscribeRequest.create({ data: { email: "kept@example.org", topics: ["agents"], source: "web", ipHash: "a".repeat(64), createdAt: now() } });
    startQueue();
    await expect.poll(() => mailsTo("kept@example.org")).toBe(1);
    await expect.poll(stored).toEqual([]);
    const row = await test.db.subscriber.findUniqueOrThrow({ where: { email: "kept@example.org" }, include: { topics: { include: { topic: true } } } });
    expect(row).toMatchObject({ status: "pending", consentSource: "web", consentAt: now(), consentIpHash: "a".repeat(64) });
    expect(row.topics.map((link) => link.topic.query)).toEqual(["agents"]);
  });

  it("refuses a bad address or topic at once, naming the field, and stores nothing", async () => {
    const queue = startQueue();
    await expect(queue.submit({ email: "not-an-email", topics: [], source: "api" })).rejects.toMatchObject({ code: "INVALID_EMAIL", field: "email" });
    await expect(queue.submit({ email: "ok@example.org", topics: ['"open'], source: "api" })).rejects.toMatchObject({ code: "INVALID_TOPIC", field: "topic" });
    expect(await stored()).toEqual([]);
  });

  it("takes over a request whose processor died once its lease has passed, not before", async () => {
    await test.db.subscribeRequest.create({ data: { email: "orphan@example.org", topics: [], source: "web", attempts: 1, leaseUntil: new Date(now().getTime() + SUBSCRIBE_LEASE_MS / 2) } });
    const queue = startQueue();
    await queue.submit({ email: "fresh@example.org", topics: [], source: "web" });
    await expect.poll(() => mailsTo("fresh@example.org")).toBe(1);
    expect(mailsTo("orphan@example.org")).toBe(0); // still leased to the dead process

    offsetMs += SUBSCRIBE_LEASE_MS;
    await queue.submit({ email: "later@example.org", topics: [], source: "web" });
    await expect.poll(() => mailsTo("orphan@example.org")).toBe(1);
    await expect.poll(stored).toEqual([]);
  });

  it("shares the work between processes on one database and mails each address once", async () => {
    const other = createDb(test.url);
    closers.push(() => other.$disconnect());
    const [a, b] = [startQueue(), startQueue({ db: other })];
    const emails = Array.from({ length: 12 }, (_, i) => `shared${i}@example.org`);
    // Every address asked for twice, once through each process, all at once.
    await Promise.all(emails.flatMap((email) => [a.submit({ email, topics: [], source: "api" }), b.submit({ email, topics: [], source: "api" })]));
    await expect.poll(stored).toEqual([]);
    expect(emails.map(mailsTo)).toEqual(emails.map(() => 1));
    expect(await test.db.subscriber.count({ where: { email: { in: emails } } })).toBe(emails.length);
  });

  it("goes on after a request that fails, retries it after its lease, drops it after 3 attempts, and logs masked addresses", async () => {
    // Stored by an older version, or by hand: topics that no longer parse make processing throw.
    await test.db.subscribeRequest.create({ data: { email: "retry.me@example.org", topics: ['"open'], source: "web" } });
    await test.db.subscribeRequest.create({ data: { email: "give.up@example.org", topics: ['"open'], source: "web", attempts: 2 } });
    const lines: string[] = [];
    const queue = startQueue({ lines });
    await queue.submit({ email: "after.them@example.org", topics: [], source: "web" });
    await expect.poll(() => mailsTo("after.them@example.org")).toBe(1);
    await expect.poll(async () => (await stored()).map((row) => [row.email, row.attempts])).toEqual([["retry.me@example.org", 1]]);
    expect(lines.sort()).toEqual([
      expect.stringMatching(/^\[error\] Could not process the subscribe request \d+ for g\*\*\*@example\.org \(attempt 3 of 3\), dropped: .*has no closing quote/),
      expect.stringMatching(/^\[warn\] Could not process the subscribe request \d+ for r\*\*\*@example\.org \(attempt 1 of 3\): .*has no closing quote/),
    ]);
    expect(lines.join("\n")).not.toMatch(/retry\.me|give\.up/);
  });
});
