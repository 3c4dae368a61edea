// The operator's pages over HTTP against the real app: refused without the admin
// token, a login that starts a session, the overview, subscribers, one subscriber,
// runs, and the outbox viewer over messages the outbox mailer really wrote.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import { createOutboxMailer } from "../../src/delivery/outbox-mailer.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { suppressAddress } from "../../src/subscriptions/suppress.ts";
import { openForm, postForm, startTestApp, type TestApp } from "../helpers/web-app.ts";

const ADMIN = "operator-token-0123456789abcdef";
let t: TestApp;
let outbox: string;
let session = "";

beforeAll(async () => {
  t = await startTestApp();
  outbox = await mkdtemp(path.join(tmpdir(), "paperboy-admin-outbox-"));
  await ingestBatch(t.test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
  for (const [email, topics] of [
    ["ada@example.org", ["agents", '"video generation"']],
    ["grace@example.org", ["diffusion video"]],
    ["eve@example.org", []],
  ] as const) {
    await addSubscriber(t.test.db, { email, topics: [...topics], source: "cli" }, new Date());
  }
  // Real digests, written by the outbox mailer, as `paperboy run` writes them without SMTP.
  const report = await runDigest({ ...t.deps, mailer: createOutboxMailer(outbox), lookbackDays: 2 }, { date: "2026-05-14" });
  expect(report.counts.sent).toBe(3);
  await suppressAddress(t.test.db, "eve@example.org", "unsubscribed", "asked by phone");
});
afterAll(async () => {
  await t.close();
});

const get = (url: string, cookie = session) => fetch(`${t.baseUrl}${url}`, { headers: { cookie }, redirect: "manual" });

describe("the operator's pages", () => {
  it("are off without PAPERBOY_ADMIN_TOKEN", async () => {
    expect((await get("/admin")).status).toBe(404);
    expect((await get("/outbox")).status).toBe(404);
  });

  it("ask for the token, refuse a wrong one or a form from elsewhere, and start a session with the right one", async () => {
    t.deps.adminToken = ADMIN;
    for (const url of ["/admin", "/admin/subscribers", "/admin/subscribers/1", "/admin/runs"]) {
      const refused = await get(url);
      expect(refused.status, url).toBe(401);
      expect(await refused.text(), url).toContain('<form method="post" action="/admin/login"');
    }
    const form = await openForm(t.baseUrl, "/admin/login");
    const wrong = await postForm(`${t.baseUrl}/admin/login`, { _csrf: form.csrf, token: "not-the-token", next: "/admin/subscribers" }, form.cookie);
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("That is not the admin token.");
    expect((await postForm(`${t.baseUrl}/admin/login`, { _csrf: "forged".padEnd(32, "x"), token: ADMIN }, form.cookie)).status).toBe(403);

    const login = await postForm(`${t.baseUrl}/admin/login`, { _csrf: form.csrf, token: ADMIN, next: "/admin/subscribers" }, form.cookie);
    expect(login.status).toBe(303);
    expect(login.headers.get("location")).toBe("/admin/subscribers");
    const cookie = login.headers.getSetCookie().find((value) => value.startsWith("pb_admin="))!;
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict; Max-Age=28800/);
    session = `${cookie.split(";")[0]}; ${form.cookie}`;
    // Anywhere else it leads nowhere but the overview.
    const elsewhere = await postForm(`${t.baseUrl}/admin/login`, { _csrf: form.csrf, token: ADMIN, next: "https://evil.example/" }, form.cookie);
    expect(elsewhere.headers.get("location")).toBe("/admin");
  });

  it("show the overview: counts, the last 30 days for the chart and as a table, the topics most followed", async () => {
    const response = await get("/admin");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const html = await response.text();
    expect(html).toMatch(/<dt>Active subscribers<\/dt><dd>2<\/dd>/);
    const chart = JSON.parse(/<script type="application\/json" id="chart-data">(.*?)<\/script>/s.exec(html)![1]!) as { x: number[]; y: number[][] };
    expect(chart.x).toHaveLength(30);
    expect(chart.y).toHaveLength(5);
    // Sent today (the run above): the last day's count.
    expect(chart.y[0]!.at(-1)).toBe(3);
    expect(html).toContain('<script src="/admin/assets/uPlot.iife.min.js" defer></script>');
    expect((await get("/admin/assets/uPlot.iife.min.js", "")).status).toBe(200);
    expect(html).toMatch(/<td><a href="\/admin\/subscribers\?topic=agents">agents<\/a><\/td><td class="number">1<\/td>/);
  });

  it("find subscribers by address, status and topic, and show one whole", async () => {
    const all = await (await get("/admin/subscribers")).text();
    expect(all).toContain("3 subscribers");
    const byTopic = await (await get("/admin/subscribers?topic=video")).text();
    expect(byTopic).toContain("2 subscribers");
    const byStatus = await (await get("/admin/subscribers?status=unsubscribed")).text();
    expect(byStatus).toContain("1 subscriber");
    expect(byStatus).toContain("eve@example.org");
    const byAddress = await (await get("/admin/subscribers?q=ADA")).text();
    expect(byAddress).toContain("1 subscriber");
    const id = /href="\/admin\/subscribers\/(\d+)">ada@example.org/.exec(byAddress)![1];

    const one = await (await get(`/admin/subscribers/${id}`)).text();
    expect(one).toContain("agents, &quot;video generation&quot;");
    expect(one).toMatch(/daily:2026-05-14<\/td><td>sent/);
    expect(one).toMatch(/2605\.\d{5} /);
    const eve = /href="\/admin\/subscribers\/(\d+)">eve@example.org/.exec(all)![1];
    expect(await (await get(`/admin/subscribers/${eve}`)).text()).toMatch(/<strong>suppressed<\/strong> since \d{4}-\d\d-\d\d: asked by phone/);
    expect((await get("/admin/subscribers/99999")).status).toBe(404);
  });

  it("list the runs", async () => {
    const html = await (await get("/admin/runs")).text();
    expect(html).toMatch(/<td>manual<\/td>|<td>run<\/td>/);
    expect(html).toMatch(/<td class="number">3<\/td>/);
  });

  it("show the outbox while it is the mailer: each message's headers, HTML in a sandboxed frame, text part and size", async () => {
    expect((await get("/outbox")).status).toBe(404);
    // Without a session, not even whether there is an outbox (or where mail goes).
    const anonymous = await get("/outbox", "");
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain("smtp://");
    t.deps.outboxDir = outbox;
    const list = await (await get("/outbox")).text();
    expect(list).toContain("Showing 3 of 3 messages");
    const filtered = await (await get("/outbox?to=grace")).text();
    expect(filtered).toContain("Showing 1 of 1 matching (3 messages in all)");
    const file = /href="\/outbox\/message\?file=([^"]+)"/.exec(filtered)![1]!;

    const message = await (await get(`/outbox/message?file=${file}`)).text();
    expect(message).toMatch(/<dt>To<\/dt><dd>grace@example.org<\/dd>/);
    expect(message).toMatch(/<dt>List-Unsubscribe<\/dt>/);
    expect(message).toContain(`<iframe class="mail" title="The HTML part of the message" sandbox src="/outbox/html?file=${file}"></iframe>`);
    expect(message).toMatch(/<pre class="mail"[^>]*>[^<]*2026-05-14/);

    const html = await get(`/outbox/html?file=${file}`);
    expect(html.headers.get("content-security-policy")).toMatch(/^sandbox; default-src 'none'/);
    expect(await html.text()).toContain("<html");
    const raw = await get(`/outbox/raw?file=${file}`);
    expect(raw.headers.get("content-type")).toBe("message/rfc822");
    expect(await raw.text()).toMatch(/^[\s\S]*\r\nTo: grace@example.org\r\n/);

    for (const bad of ["../../../etc/passwd", "2026-05-14/../../x.eml", "x.eml"]) expect((await get(`/outbox/message?file=${encodeURIComponent(bad)}`)).status, bad).toBe(404);
    // Not without a session.
    expect((await get(`/outbox/message?file=${file}`, "")).status).toBe(401);
  });

  it("end the session on logout", async () => {
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await get("/admin")).text())![1]!;
    const out = await postForm(`${t.baseUrl}/admin/logout`, { _csrf: csrf }, session);
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie().some((value) => value.startsWith("pb_admin=;") && value.includes("Max-Age=0"))).toBe(true);
    expect((await get("/admin", session.split("; ")[1] ?? "")).status).toBe(401);
  });
});
