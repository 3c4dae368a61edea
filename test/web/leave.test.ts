// Unsubscribing (RFC 8058), re-subscribing, and sent digests on the web, against
// the real app, database and SMTP sink, with links taken from real digests.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DATE, SAMPLE_FILES } from "../../src/cli/demo.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { rawHeader } from "../helpers/smtp-sink.ts";
import { openForm, postForm, startTestApp, type TestApp } from "../helpers/web-app.ts";

let t: TestApp;
let unsubscribeUrl: string;
let viewUrl: string;
let manageToken: string;
const run = (date: string) => runDigest({ ...t.deps, lookbackDays: 2 }, { date });
const status = async (email: string) => (await t.test.db.subscriber.findUniqueOrThrow({ where: { email } })).status;

beforeAll(async () => {
  t = await startTestApp();
  await ingestBatch(t.test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
  await addSubscriber(t.test.db, { email: "ada@example.org", topics: ["agents"], maxPapers: 3, source: "cli" }, new Date());
  await addSubscriber(t.test.db, { email: "grace@example.org", topics: ['"video generation"'], maxPapers: 3, source: "cli" }, new Date());
  await run("2026-05-13");
  const digest = t.sink.messages.find((message) => message.to.includes("ada@example.org"))!;
  unsubscribeUrl = /^<(.+)>$/.exec(rawHeader(digest.raw, "List-Unsubscribe")!)![1]!;
  viewUrl = t.linksIn(digest, "/digests/daily%3A2026-05-13")[0]!;
  manageToken = new URL(t.linksIn(digest, "/manage")[0]!).searchParams.get("token")!;
});
afterAll(async () => {
  await t.close();
});

describe("sent digests on the web", () => {
  it("shows a sent digest in the browser from the email's signed link", async () => {
    const response = await fetch(viewUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await response.text();
    const delivery = await t.test.db.delivery.findFirstOrThrow({ where: { digestKey: "daily:2026-05-13", subscriber: { email: "ada@example.org" } } });
    const papers = await t.test.db.paper.findMany({ where: { id: { in: delivery.paperIds } } });
    expect(papers).toHaveLength(3);
    for (const paper of papers) expect(html).toContain(paper.title.replaceAll("&", "&amp;"));
    expect((html.match(/class="card"/g) ?? []).length).toBe(3);
    expect((await fetch(viewUrl.replace("daily%3A2026-05-13", "daily%3A2026-05-01"))).status).toBe(404);
    expect((await fetch(viewUrl.replace(/token=[^&]+/, "token=1.1.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))).status).toBe(400);
  });

  it("lists a subscriber's digests in a personal Atom feed", async () => {
    const token = new URL(viewUrl).searchParams.get("token")!;
    const response = await fetch(`${t.baseUrl}/feed.atom?token=${token}`);
    expect(response.headers.get("content-type")).toContain("application/atom+xml");
    const xml = await response.text();
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
    expect((xml.match(/<entry>/g) ?? []).length).toBe(1);
    expect(xml).toContain("<title>3 papers · 2026-05-13</title>");
  });
});

describe("unsubscribe", () => {
  it("shows a page with a button on GET, and never unsubscribes by itself (link scanners prefetch)", async () => {
    const response = await fetch(unsubscribeUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const html = await response.text();
    expect(html).toContain("Unsubscribe?");
    expect(html).not.toContain("/manage?token="); // an unsubscribe link never expires, so it mints no settings link
    expect(html).toMatch(/<form method="post" action="\/unsubscribe\?token=[\w.-]+">/);
    expect(await status("ada@example.org")).toBe("active");
  });

  it("answers 200 to a one-click POST with a bad token, changing nothing", async () => {
    const response = await fetch(`${t.baseUrl}/unsubscribe?token=forged`, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(response.status).toBe(200);
    expect(await status("ada@example.org")).toBe("active");
  });

  it("unsubscribes on the RFC 8058 one-click POST, without cookies or CSRF token, and the next run sends nothing", async () => {
    const response = await fetch(unsubscribeUrl, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(await status("ada@example.org")).toBe("unsubscribed");

    const before = t.sink.messages.length;
    const report = await run(DEMO_DATE);
    const newMail = t.sink.messages.slice(before);
    expect(newMail.some((message) => message.to.includes("ada@example.org"))).toBe(false);
    expect(newMail.some((message) => message.to.includes("grace@example.org"))).toBe(true);
    expect(report.outcomes.map((outcome) => outcome.email)).not.toContain("ada@example.org");
  });

  it("revokes the manage, view and feedback links on unsubscribe: no reading, exporting or changing through pages or API", async () => {
    const bearer = { authorization: `Bearer ${manageToken}` };
    const page = await fetch(`${t.baseUrl}/manage?token=${manageToken}`);
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toContain("This link is not valid any more.");
    expect(html).toMatch(/<form method="post" action="\/subscribe"[\s\S]*Email me a new link/);
    expect(html).not.toContain("ada@example.org");
    expect((await fetch(`${t.baseUrl}/manage/export?token=${manageToken}`)).status).toBe(400);
    const form = await openForm(t.baseUrl, "/");
    expect((await postForm(`${t.baseUrl}/manage?token=${manageToken}`, { keywords: "stolen", _csrf: form.csrf }, form.cookie)).status).toBe(400);
    expect((await postForm(`${t.baseUrl}/manage/delete?token=${manageToken}`, { _csrf: form.csrf }, form.cookie)).status).toBe(400);
    const read = await fetch(`${t.baseUrl}/api/preferences`, { headers: bearer });
    expect(read.status).toBe(400);
    expect(((await read.json()) as { error: { code: string } }).error.code).toBe("TOKEN_INVALID");
    const write = await fetch(`${t.baseUrl}/api/preferences`, { method: "PUT", headers: { ...bearer, "content-type": "application/json" }, body: JSON.stringify({ keywords: ["stolen"] }) });
    expect(write.status).toBe(400);
    expect((await fetch(`${t.baseUrl}/api/export`, { headers: bearer })).status).toBe(400);
    expect((await fetch(`${t.baseUrl}/api/subscriber`, { method: "DELETE", headers: bearer })).status).toBe(400);
    expect((await fetch(viewUrl)).status).toBe(400);
    expect((await fetch(`${t.baseUrl}/feed.atom?token=${new URL(viewUrl).searchParams.get("token")}`)).status).toBe(400);
    const topics = await t.test.db.subscriberTopic.findMany({ where: { subscriber: { email: "ada@example.org" } }, include: { topic: true } });
    expect(topics.map((link) => link.topic.query)).toEqual(["agents"]);
  });

  it("still unsubscribes from an old email's link after the rotation, but offers no re-subscribe or data link with it", async () => {
    const response = await fetch(unsubscribeUrl, { method: "POST", headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("You are unsubscribed");
    expect(html).not.toContain("/resubscribe");
    expect(html).not.toContain("/manage");
    expect((await fetch(unsubscribeUrl)).status).toBe(200);
  });

  it("lets a person re-subscribe from the goodbye page (CSRF-protected), with new links that work and old ones that do not", async () => {
    const newest = t.sink.messages.filter((message) => message.to.includes("grace@example.org")).at(-1)!;
    const link = /^<(.+)>$/.exec(rawHeader(newest.raw, "List-Unsubscribe")!)![1]!;
    const oldManage = new URL(t.linksIn(newest, "/manage")[0]!).searchParams.get("token")!;
    const goodbye = await fetch(link, { method: "POST", headers: { accept: "text/html" } });
    const html = await goodbye.text();
    expect(html).toContain("You are unsubscribed");
    expect(await status("grace@example.org")).toBe("unsubscribed");
    const cookie = (goodbye.headers.get("set-cookie") ?? "").split(";")[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    const path = /action="(\/resubscribe\?token=[^"]+)"/.exec(html)![1]!;
    expect((await postForm(`${t.baseUrl}${path}`, {})).status).toBe(403);
    expect(await status("grace@example.org")).toBe("unsubscribed");
    expect((await postForm(link.replace("/unsubscribe", "/resubscribe"), { _csrf: csrf }, cookie)).status).toBe(400); // the old link was revoked
    const again = await postForm(`${t.baseUrl}${path}`, { _csrf: csrf }, cookie);
    expect(again.status).toBe(303);
    const location = again.headers.get("location")!;
    expect(location).toMatch(/^\/manage\?token=.+&welcome=1$/);
    expect(await status("grace@example.org")).toBe("active");
    expect((await fetch(`${t.baseUrl}${location}`)).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/api/preferences`, { headers: { authorization: `Bearer ${oldManage}` } })).status).toBe(400);
  });

  it("unsubscribes through the JSON API too, with a link from before the rotation", async () => {
    const first = t.sink.messages.find((message) => message.to.includes("grace@example.org"))!;
    const token = new URL(/^<(.+)>$/.exec(rawHeader(first.raw, "List-Unsubscribe")!)![1]!).searchParams.get("token")!;
    const response = await fetch(`${t.baseUrl}/api/unsubscribe`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(await response.json()).toEqual({ status: "unsubscribed" });
    expect(await status("grace@example.org")).toBe("unsubscribed");
  });
});
