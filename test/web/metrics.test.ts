// GET /metrics scraped as Prometheus would, against the real app after real
// work: an ingest, a run into a real SMTP server that refuses one address, a tick.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import { runTick } from "../../src/digest/tick.ts";
import { silentLog } from "../../src/log.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { startTestApp, type TestApp } from "../helpers/web-app.ts";

const ADMIN = "metrics-admin-token-0123456789";
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ smtp: { rejectRecipient: (address) => (address === "gone@example.net" ? "550 5.1.1 No such user" : undefined) } });
});
afterAll(async () => {
  await t.close();
});

/** The samples of a Prometheus text exposition, by series ("name{label="value"}"). */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) found.set(match[1]!, Number(match[2]));
  }
  return found;
}

const scrape = (token = ADMIN) => fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });

describe("GET /metrics", () => {
  it("is off without PAPERBOY_ADMIN_TOKEN, and refuses a wrong token", async () => {
    expect((await scrape()).status).toBe(404);
    t.deps.adminToken = ADMIN;
    expect((await scrape("wrong-token-of-the-same-length-xx")).status).toBe(401);
    expect((await fetch(`${t.baseUrl}/metrics`)).status).toBe(401);
  });

  it("counts sends by outcome, replies by class, papers by source and ticks, and reads the installation's state from the database", async () => {
    const before = samples(await (await scrape()).text());
    const count = (series: Map<string, number>, name: string) => series.get(name) ?? 0;

    const ingest = await ingestBatch(t.test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
    for (const email of ["ada@example.net", "grace@example.net", "gone@example.net"]) await addSubscriber(t.test.db, { email, topics: [], source: "cli" }, new Date());
    const report = await runDigest({ ...t.deps, lookbackDays: 2 }, { date: "2026-05-14" });
    expect(report.counts).toMatchObject({ sent: 2, failed: 1 });
    // A tick the next day: it queues everyone for a worker (none runs here).
    await runTick({ db: t.test.db, log: silentLog, now: () => new Date("2026-05-15T23:00:00Z"), sources: [], enqueue: async () => true });

    const response = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain("# HELP paperboy_sends_total ");
    const after = samples(text);
    const delta = (name: string) => count(after, name) - count(before, name);
    expect(delta('paperboy_sends_total{outcome="sent"}')).toBe(2);
    expect(delta('paperboy_sends_total{outcome="failed"}')).toBe(1);
    expect(delta('paperboy_smtp_replies_total{class="accepted"}')).toBe(2);
    expect(delta('paperboy_smtp_replies_total{class="RECIPIENT_REJECTED"}')).toBe(1);
    expect(delta('paperboy_papers_ingested_total{source="file",result="new"}')).toBe(ingest.created);
    expect(delta("paperboy_tick_duration_seconds_count")).toBe(1);

    const db = t.test.db;
    expect(after.get('paperboy_ledger_rows{status="sent"}')).toBe(await db.delivery.count({ where: { status: "sent" } }));
    expect(after.get('paperboy_ledger_rows{status="failed"}')).toBe(await db.delivery.count({ where: { status: "failed" } }));
    const queued = await db.delivery.count({ where: { status: "queued" } });
    expect(queued).toBeGreaterThan(0);
    expect(after.get("paperboy_queue_depth")).toBe(queued);
    // The hard bounce suppressed its address, so the subscriber is bounced.
    expect(after.get('paperboy_subscribers{status="active"}')).toBe(await db.subscriber.count({ where: { status: "active" } }));
    expect(after.get('paperboy_subscribers{status="bounced"}')).toBe(1);
    expect(after.get("paperboy_last_tick_age_seconds")).toBeGreaterThanOrEqual(0);
    // Node's own, from prom-client.
    expect(after.get("paperboy_process_resident_memory_bytes")).toBeGreaterThan(0);
  });
});
