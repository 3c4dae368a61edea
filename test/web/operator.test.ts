// Bounce/complaint webhooks and the run report, over HTTP against the real app.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDigest } from "../../src/digest/run-digest.ts";
import { findDue } from "../../src/digest/plan.ts";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { addSubscriber, hashAddress } from "../../src/subscriptions/store.ts";
import { SOFT_BOUNCE_LIMIT } from "../../src/subscriptions/suppress.ts";
import { startTestApp, type TestApp } from "../helpers/web-app.ts";

const WEBHOOK = "webhook-secret-0123456789";
const ADMIN = "admin-token-0123456789abc";
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  t.deps.webhookSecret = WEBHOOK;
  t.deps.adminToken = ADMIN;
  for (const email of ["hard@example.org", "soft@example.org", "angry@example.org", "fine@example.org"]) {
    await addSubscriber(t.test.db, { email, topics: [], source: "cli" }, new Date());
  }
});
afterAll(async () => {
  await t.close();
});

type Json = { suppressed?: boolean; error?: { message: string }; runs?: Array<Record<string, unknown> & { report: { counts: unknown } }> };
const json = async (response: Response) => (await response.json()) as Json;
const bounce = (body: object, token = WEBHOOK) =>
  fetch(`${t.baseUrl}/webhooks/bounce`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
const status = async (email: string) => (await t.test.db.subscriber.findUniqueOrThrow({ where: { email } })).status;
const suppressed = async (email: string) => (await t.test.db.suppression.count({ where: { addressHash: hashAddress(email) } })) === 1;

describe("POST /webhooks/bounce", () => {
  it("refuses a missing or wrong secret and changes nothing", async () => {
    expect((await bounce({ email: "hard@example.org", type: "hard" }, "wrong-secret-0123456789ab")).status).toBe(401);
    expect((await fetch(`${t.baseUrl}/webhooks/bounce`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(401);
    expect(await status("hard@example.org")).toBe("active");
  });

  it("suppresses at once on a hard bounce or a complaint", async () => {
    expect(await (await bounce({ email: "Hard@Example.org", type: "hard", reason: "550 5.1.1 user unknown" })).json()).toEqual({ status: "recorded", suppressed: true });
    expect(await (await bounce({ email: "angry@example.org", type: "complaint" })).json()).toEqual({ status: "recorded", suppressed: true });
    expect([await status("hard@example.org"), await status("angry@example.org")]).toEqual(["bounced", "complained"]);
    expect(await suppressed("hard@example.org")).toBe(true);
    expect(await suppressed("angry@example.org")).toBe(true);
  });

  it(`suppresses after ${SOFT_BOUNCE_LIMIT} soft bounces`, async () => {
    for (let i = 1; i < SOFT_BOUNCE_LIMIT; i++) expect((await json(await bounce({ email: "soft@example.org", type: "soft" }))).suppressed).toBe(false);
    expect(await status("soft@example.org")).toBe("active");
    expect((await json(await bounce({ email: "soft@example.org", type: "soft" }))).suppressed).toBe(true);
    expect(await status("soft@example.org")).toBe("bounced");
  });

  it("never plans a suppressed address again", async () => {
    const due: number[] = [];
    for await (const page of findDue(t.test.db, { now: new Date("2026-05-14T12:00:00Z") })) due.push(...page.due.map((entry) => entry.id));
    const fine = await t.test.db.subscriber.findUniqueOrThrow({ where: { email: "fine@example.org" } });
    expect(due).toEqual([fine.id]);
  });

  it.each([
    [{ email: "x@example.org", type: "bogus" }, /type must be one of hard, soft, complaint/],
    [{ email: "not an email", type: "hard" }, /not a valid email address/],
  ])("refuses %j with a clear error", async (body, message) => {
    const response = await bounce(body);
    expect(response.status).toBe(400);
    expect((await json(response)).error?.message).toMatch(message);
  });
});

describe("GET /admin/runs", () => {
  it("lists runs with their delivery counts, behind the admin token", async () => {
    await ingestBatch(t.test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
    const report = await runDigest({ ...t.deps, lookbackDays: 2 }, { date: "2026-05-14" });
    expect((await fetch(`${t.baseUrl}/admin/runs`)).status).toBe(401);
    const response = await fetch(`${t.baseUrl}/admin/runs?last=5`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(response.status).toBe(200);
    const runs = (await json(response)).runs ?? [];
    expect(runs[0]).toMatchObject({ id: report.runId, kind: "manual", digestDate: "2026-05-14", deliveries: { sent: 1, failed: 0, skipped: 0, possibleDuplicates: 0 } });
    expect(runs[0]?.report.counts).toMatchObject({ sent: 1 });
  });
});
