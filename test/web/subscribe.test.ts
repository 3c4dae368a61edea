// Subscribing over HTTP against the real app, database and SMTP sink.
import { createApp } from "../../src/web/app.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmtpMailer } from "../../src/delivery/smtp-mailer.ts";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import { createLog } from "../../src/log.ts";
import { CLOCK } from "../helpers/log-lines.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { signToken } from "../../src/subscriptions/tokens.ts";
import { startSmtpSink } from "../helpers/smtp-sink.ts";
import { openForm, postForm, startTestApp, TEST_SECRET, type TestApp } from "../helpers/web-app.ts";

let t: TestApp;
let offsetMs = 0; // moves this app's clock forward past cooldowns
beforeAll(async () => {
  // A clock that only moves when told: however slow the machine, a cooldown ends only at `offsetMs +=`.
  const start = Date.now();
  t = await startTestApp({ now: () => new Date(start + offsetMs) });
});
afterAll(async () => {
  await t.close();
});

/** Subscribes with the form, then waits until the request has been processed (the email follows the answer). */
async function subscribe(email: string, topics = ""): Promise<Response> {
  const form = await openForm(t.baseUrl, "/");
  const response = await postForm(`${t.baseUrl}/subscribe`, { email, topics, _csrf: form.csrf }, form.cookie);
  await t.settle();
  return response;
}

const mailFor = (email: string) => t.sink.messages.filter((message) => message.to.includes(email));

describe("subscribe and confirm (double opt-in)", () => {
  it("keeps the browser's time zone for a new subscription, drops an unknown one, and never changes an active reader's", async () => {
    const post = async (email: string, timezone: string) => {
      const form = await openForm(t.baseUrl, "/");
      expect((await postForm(`${t.baseUrl}/subscribe`, { email, timezone, _csrf: form.csrf }, form.cookie)).status).toBe(303);
      await t.settle();
      return (await t.test.db.subscriber.findUniqueOrThrow({ where: { email } })).timezone;
    };
    expect(await post("berlin.reader@example.org", "Europe/Berlin")).toBe("Europe/Berlin");
    expect(await post("mars.reader@example.org", "Mars/Olympus_Mons")).toBe("UTC");
    await t.test.db.subscriber.update({ where: { email: "berlin.reader@example.org" }, data: { status: "active", timezone: "Asia/Tokyo" } });
    expect(await post("berlin.reader@example.org", "America/Los_Angeles")).toBe("Asia/Tokyo");
  });

  it("shows the digest email itself on the landing page, in a frame of its own that loads nothing but the instance's thumbnails", async () => {
    if ((await t.test.db.paper.count()) === 0) {
      expect((await fetch(`${t.baseUrl}/sample`)).status).toBe(404);
      expect(await (await fetch(`${t.baseUrl}/`)).text()).not.toContain("<iframe");
      await ingestBatch(t.test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
    }
    const home = await (await fetch(`${t.baseUrl}/`)).text();
    expect(home).toContain('<iframe class="sample" src="/sample" title="A sample digest email"');
    const sample = await fetch(`${t.baseUrl}/sample`);
    expect(sample.status).toBe(200);
    expect(sample.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'");
    const html = await sample.text();
    expect((html.match(/class="card"/g) ?? []).length).toBe(3);
    expect(html).toMatch(/✓ Trending: \d+ upvotes?/);
    // Every link opens outside the frame.
    expect(html.match(/<a /g)?.length).toBe(html.match(/<a target="_blank" rel="noopener" href=/g)?.length);
  });

  it("gives every page a description, social preview tags and an icon of its own (no 404 for /favicon.ico)", async () => {
    const html = await (await fetch(`${t.baseUrl}/`)).text();
    expect(html).toMatch(/<meta name="description" content="[^"]{40,}">/);
    expect(html).toContain('<meta property="og:title" content="Daily research papers in your inbox">');
    expect(html).toContain('<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">');
    const icon = await fetch(`${t.baseUrl}/favicon.ico`);
    expect(icon.url).toBe(`${t.baseUrl}/assets/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    expect(await icon.text()).toMatch(/^<svg /);
  });

  it("serves the landing page with the form, a CSRF cookie and a self-only CSP", async () => {
    const response = await fetch(`${t.baseUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(response.headers.get("set-cookie")).toMatch(/pb_csrf=[\w-]{32}; Path=\/; HttpOnly; SameSite=Strict/);
    // Reached over plain http: no Strict-Transport-Security (see the https case below).
    expect(response.headers.get("strict-transport-security")).toBeNull();
    const html = await response.text();
    expect(html).toContain('<label for="email">Email address</label>');
    expect(html).toMatch(/name="_csrf" value="[\w-]{32}"/);
  });

  it("sends Strict-Transport-Security when its public URL is https", async () => {
    const secure = await createApp({ ...t.deps, mail: { ...t.deps.mail, publicUrl: "https://papers.example.org" } });
    try {
      const address = await secure.listen({ host: "127.0.0.1", port: 0 });
      expect((await fetch(`${address}/`)).headers.get("strict-transport-security")).toBe("max-age=15552000; includeSubDomains");
    } finally {
      await secure.close();
    }
  });

  it("mails a confirmation link that activates the subscription and opens the manage page", async () => {
    const response = await subscribe("New.Reader@Example.org", 'agents\n"mixture of experts"');
    // Post/redirect/get: the answer is a page of its own, so reloading it posts nothing; it names the sender to look for.
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/check-inbox");
    const answer = await (await fetch(`${t.baseUrl}/check-inbox`)).text();
    expect(answer).toContain("Check your inbox");
    expect(answer).toContain("a message from <strong>paperboy &lt;");
    const row = await t.test.db.subscriber.findUniqueOrThrow({ where: { email: "new.reader@example.org" }, include: { topics: { include: { topic: true } } } });
    expect(row).toMatchObject({ status: "pending", consentSource: "web", consentIpHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(row.topics.map((link) => link.topic.query).sort()).toEqual(["agents", "mixture of experts"]);

    const [mail] = mailFor("new.reader@example.org");
    expect(mail?.parsed.subject).toBe("Confirm your paperboy subscription");
    expect(mail?.raw).not.toMatch(/^List-Unsubscribe:/m); // transactional, not list mail
    const [confirm] = t.linksIn(mail!, "/confirm");
    const confirmed = await fetch(confirm!, { redirect: "manual" });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("location")).toMatch(/^\/manage\?token=[\w.-]+&welcome=1$/);
    expect((await t.test.db.subscriber.findUniqueOrThrow({ where: { email: "new.reader@example.org" } })).status).toBe("active");

    const manage = await fetch(`${t.baseUrl}${confirmed.headers.get("location")}`);
    expect(manage.status).toBe(200);
    expect(await manage.text()).toContain("You are subscribed.");
    expect((await fetch(confirm!, { redirect: "manual" })).status).toBe(303); // a second click is harmless
  });

  it("answers identically for new, pending and active addresses (no enumeration)", async () => {
    await subscribe("pending@example.org");
    await subscribe("active@example.org");
    const [confirm] = t.linksIn(mailFor("active@example.org")[0]!, "/confirm");
    await fetch(confirm!, { redirect: "manual" });

    const normalise = async (response: Response, email: string) => ({ status: response.status, body: (await response.text()).replaceAll(email, "EMAIL") });
    const html = await Promise.all(["fresh@example.org", "pending@example.org", "active@example.org"].map(async (email) => normalise(await subscribe(email), email)));
    expect(html[1]).toEqual(html[0]);
    expect(html[2]).toEqual(html[0]);

    const json = await Promise.all(
      ["fresh-json@example.org", "pending@example.org", "active@example.org"].map(async (email) => {
        const response = await fetch(`${t.baseUrl}/api/subscribe`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email }) });
        await t.settle();
        return { status: response.status, body: await response.json() };
      }),
    );
    expect(json[0]).toEqual({ status: 202, body: { status: "pending", message: expect.any(String) } });
    expect(json[1]).toEqual(json[0]);
    expect(json[2]).toEqual(json[0]);
  });

  it("mails an address at most once per cooldown, and an active one only its manage link", async () => {
    const before = mailFor("pending@example.org").length;
    await subscribe("pending@example.org");
    expect(mailFor("pending@example.org")).toHaveLength(before);
    expect(mailFor("active@example.org")).toHaveLength(1);

    offsetMs += 11 * 60 * 1000;
    await subscribe("pending@example.org");
    expect(mailFor("pending@example.org")).toHaveLength(before + 1);
    await subscribe("active@example.org");
    const active = mailFor("active@example.org");
    expect(active.map((mail) => mail.parsed.subject)).toEqual(["Confirm your paperboy subscription", "Your paperboy subscription"]);
    expect(t.linksIn(active[1]!, "/manage")).toHaveLength(1);
    expect(t.linksIn(active[1]!, "/confirm")).toHaveLength(0);
  });

  it.each([
    ["not-an-email", /not a valid email address/],
    ["eve@example.org\r\nBcc: victim@example.org", /line break/],
    ["eve@example.org, victim@example.org", /exactly one address/],
    [`${"a".repeat(300)}@example.org`, /longer than 254/],
  ])("refuses the address %j with a clear message and writes nothing", async (email, message) => {
    const count = async () => ({ subscribers: await t.test.db.subscriber.count(), requests: await t.test.db.subscribeRequest.count(), mails: t.sink.messages.length });
    const before = await count();
    const response = await subscribe(email);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toMatch(message);
    expect(html).toContain('aria-invalid="true"');
    expect(await count()).toEqual(before);
  });

  it.each([
    ["500 topics", Array.from({ length: 500 }, (_, i) => `topic ${i}`).join("\n"), /at most 50 topics/],
    ["a 10 kB topic", "x".repeat(10_000), /at most 200 characters/],
    ["an unbalanced quote", '"open', /has no closing quote/],
  ])("refuses %s and writes nothing", async (_, topics, message) => {
    const before = await t.test.db.subscriber.count();
    const response = await subscribe("topics@example.org", topics);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(message);
    expect(await t.test.db.subscriber.count()).toBe(before);
  });

  it("refuses a form POST without the CSRF token, or with another visitor's", async () => {
    const before = await t.test.db.subscriber.count();
    const none = await postForm(`${t.baseUrl}/subscribe`, { email: "csrf@example.org" });
    expect(none.status).toBe(403);
    expect(await none.text()).toContain("This form has expired or was sent from another site");
    const mine = await openForm(t.baseUrl, "/");
    const theirs = await openForm(t.baseUrl, "/");
    expect((await postForm(`${t.baseUrl}/subscribe`, { email: "csrf@example.org", _csrf: theirs.csrf }, mine.cookie)).status).toBe(403);
    expect(await t.test.db.subscriber.count()).toBe(before);
  });

  it.each([
    ["forged", "1.1.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /not valid/],
    ["for another purpose", () => signToken(TEST_SECRET, "manage", { subscriberId: 1, tokenVersion: 1 }, new Date()), /not valid/],
    ["expired", () => signToken(TEST_SECRET, "confirm", { subscriberId: 1, tokenVersion: 1 }, new Date(Date.now() - 8 * 86_400_000)), /expired/],
  ])("rejects a %s confirmation token with a page saying so", async (_, token, message) => {
    const value = typeof token === "function" ? token() : token;
    const response = await fetch(`${t.baseUrl}/confirm?token=${encodeURIComponent(value)}`, { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(message);
  });

  it("limits subscribe requests per client address", async () => {
    const limited = await startTestApp({ subscribeLimit: { max: 2, windowMs: 24 * 60 * 60 * 1000 } });
    try {
      const post = () => fetch(`${limited.baseUrl}/api/subscribe`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "x@example.org" }) });
      expect((await post()).status).toBe(202);
      expect((await post()).status).toBe(202);
      const third = await post();
      expect(third.status).toBe(429);
      expect(await third.json()).toEqual({ error: { code: "RATE_LIMITED", message: expect.stringMatching(/Too many requests/) } });
    } finally {
      await limited.close();
    }
  });
});

describe("a failed confirmation email", () => {
  it("is logged with the subscriber id and a masked address, never the full address", async () => {
    const refusing = await startSmtpSink({ rejectRecipient: () => 550 });
    const mailer = createSmtpMailer({ url: refusing.url });
    const lines: string[] = [];
    const { mailer: original, log } = t.deps;
    Object.assign(t.deps, { mailer, log: createLog("warn", (line) => lines.push(line.replace(CLOCK, ""))) });
    try {
      offsetMs += 60 * 60 * 1000;
      expect((await subscribe("refused.person@example.org")).status).toBe(303);
      const row = await t.test.db.subscriber.findUniqueOrThrow({ where: { email: "refused.person@example.org" } });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^\\[warn\\] Could not send the confirmation email to subscriber ${row.id} \\(r\\*\\*\\*@example\\.org\\): `));
      expect(lines[0]).not.toContain("refused.person");
    } finally {
      Object.assign(t.deps, { mailer: original, log });
      await mailer.close();
      await refusing.close();
    }
  });
});
