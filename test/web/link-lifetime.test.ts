// How long signed links work, what an expired one offers, and that pages with
// personal data are never cached — against the real app, database and SMTP sink,
// with a clock that moves only when the test says so.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { signToken } from "../../src/subscriptions/tokens.ts";
import { postForm, startTestApp, TEST_SECRET, type TestApp } from "../helpers/web-app.ts";

const DAY_MS = 86_400_000;
const start = new Date("2026-06-01T08:00:00Z");
let offsetMs = 0;
let t: TestApp;
let subscriberId: number;
const tokenAt = (purpose: "manage" | "unsubscribe" | "feedback", daysAgo: number) =>
  signToken(TEST_SECRET, purpose, { subscriberId, tokenVersion: 1 }, new Date(start.getTime() + offsetMs - daysAgo * DAY_MS));

beforeAll(async () => {
  t = await startTestApp({ now: () => new Date(start.getTime() + offsetMs) });
  subscriberId = (await addSubscriber(t.test.db, { email: "ada@example.org", topics: ["agents"], source: "cli" }, start)).id;
});
afterAll(async () => {
  await t.close();
});

describe("link lifetimes", () => {
  it("sends Cache-Control: no-store with the manage page, the export and the preferences API", async () => {
    const token = tokenAt("manage", 0);
    for (const path of [`/manage?token=${token}`, `/manage/export?token=${token}`, `/api/preferences?token=${token}`, `/api/export?token=${token}`]) {
      const response = await fetch(`${t.baseUrl}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("cache-control"), path).toBe("no-store");
    }
  });

  it("keeps a manage link working for 30 days, then shows a page that emails a new one; asking does not revoke the others", async () => {
    expect((await fetch(`${t.baseUrl}/manage?token=${tokenAt("manage", 29)}`)).status).toBe(200);
    const expired = tokenAt("manage", 31);
    const api = await fetch(`${t.baseUrl}/api/preferences`, { headers: { authorization: `Bearer ${expired}` } });
    expect(await api.json()).toEqual({ error: { code: "TOKEN_EXPIRED", message: "this link has expired", field: "token" } });

    const page = await fetch(`${t.baseUrl}/manage?token=${expired}`);
    expect(page.status).toBe(400);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain("This link has expired");
    expect(html).not.toContain("ada@example.org");
    const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    const before = t.sink.messages.length;
    expect((await postForm(`${t.baseUrl}/subscribe`, { email: "ada@example.org", _csrf: csrf }, cookie)).status).toBe(303);
    await t.settle(); // the email follows the answer
    const mail = t.sink.messages.slice(before);
    expect(mail).toHaveLength(1);
    const fresh = t.linksIn(mail[0]!, "/manage")[0]!;
    expect((await fetch(fresh)).status).toBe(200);
    // Anyone may ask for a link to any address, so asking revokes nothing: older links simply expire.
    expect((await fetch(`${t.baseUrl}/manage?token=${tokenAt("manage", 29)}`)).status).toBe(200);
    offsetMs += 31 * DAY_MS;
    expect((await fetch(fresh)).status).toBe(400);
  });

  it("expires feedback links after 60 days", async () => {
    const query = "paper=2605.00001&vote=up";
    expect(await (await fetch(`${t.baseUrl}/feedback?token=${tokenAt("feedback", 61)}&${query}`)).text()).toContain("This link has expired");
  });

  it("keeps an unsubscribe link working long after 60 days", async () => {
    const old = tokenAt("unsubscribe", 400);
    expect((await fetch(`${t.baseUrl}/unsubscribe?token=${old}`)).status).toBe(200);
    const response = await fetch(`${t.baseUrl}/api/unsubscribe`, { method: "POST", headers: { authorization: `Bearer ${old}` } });
    expect(await response.json()).toEqual({ status: "unsubscribed" });
    expect((await t.test.db.subscriber.findUniqueOrThrow({ where: { id: subscriberId } })).status).toBe("unsubscribed");
  });
});
