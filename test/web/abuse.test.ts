// Subscribe under attack: a spoofed X-Forwarded-For does not escape the rate
// limit, concurrent requests neither fail nor mail twice, and cross-site forms
// cannot pass for JSON (real app on port 0, real database, real SMTP sink).
import { afterEach, describe, expect, it } from "vitest";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { startTestApp, type TestApp } from "../helpers/web-app.ts";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const subscribe = (app: TestApp, email: string, headers: Record<string, string> = {}) =>
  fetch(`${app.baseUrl}/api/subscribe`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ email }) });
const mailsTo = (app: TestApp, email: string) => app.sink.messages.filter((message) => message.to.includes(email)).length;

describe("behind one trusted proxy", () => {
  it("rate-limits by the address the proxy saw, whatever the client claims in X-Forwarded-For", async () => {
    t = await startTestApp({ trustProxy: 1, subscribeLimit: { max: 10, windowMs: 24 * 60 * 60 * 1000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await subscribe(t, `spoof${i}@example.org`, { "x-forwarded-for": `198.51.100.${i}, 203.0.113.7` })).status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Another real client behind the same proxy is not limited by the first one.
    expect((await subscribe(t, "other@example.org", { "x-forwarded-for": "203.0.113.8" })).status).toBe(202);
  });
});

describe("concurrent requests for one address", () => {
  it("answer alike for a new address — no 500 from the race — and send one confirmation", async () => {
    t = await startTestApp();
    const app = t;
    const responses = await Promise.all(Array.from({ length: 10 }, () => subscribe(app, "new@example.org")));
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(202));
    await app.settle();
    expect(await app.test.db.subscriber.count({ where: { email: "new@example.org" } })).toBe(1);
    expect(mailsTo(app, "new@example.org")).toBe(1);
  });

  it("send an active subscriber one manage link per cooldown, not one per request", async () => {
    t = await startTestApp();
    const app = t;
    await addSubscriber(app.test.db, { email: "active@example.org", topics: ["agents"], source: "cli" }, new Date());
    const responses = await Promise.all(Array.from({ length: 8 }, () => subscribe(app, "active@example.org")));
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(202));
    await app.settle();
    expect(mailsTo(app, "active@example.org")).toBe(1);
  });
});

describe("cross-site forms", () => {
  it("cannot skip the CSRF check by naming JSON in a parameter of the content type", async () => {
    t = await startTestApp();
    const response = await fetch(`${t.baseUrl}/subscribe`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=application/json" },
      body: "email=victim%40example.org",
      redirect: "manual",
    });
    expect(response.status).toBe(403);
    expect(mailsTo(t, "victim@example.org")).toBe(0);
  });

  it("cannot post a plain form to the JSON API", async () => {
    t = await startTestApp();
    const response = await fetch(`${t.baseUrl}/api/subscribe`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "email=victim%40example.org" });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(mailsTo(t, "victim@example.org")).toBe(0);
  });
});
