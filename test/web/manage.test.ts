// The manage page and the preferences API against the real app and database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashAddress } from "../../src/subscriptions/store.ts";
import { signToken } from "../../src/subscriptions/tokens.ts";
import { addSampleReader, openForm, postForm, startTestApp, TEST_SECRET, type TestApp } from "../helpers/web-app.ts";

let t: TestApp;
let token: string;
let subscriberId: number;

beforeAll(async () => {
  t = await startTestApp();
  ({ subscriberId, token } = await addSampleReader(t));
});
afterAll(async () => {
  await t.close();
});

/** Handlebars escapes & < > " ' ` = in page text. */
const decodeEntities = (html: string) =>
  html.replace(/&(quot|#x27|#x3D|#x60|lt|gt|amp);/g, (_, name: string) => ({ quot: '"', "#x27": "'", "#x3D": "=", "#x60": "`", lt: "<", gt: ">", amp: "&" })[name] ?? "");

const snapshot = async () => {
  const row = await t.test.db.subscriber.findUniqueOrThrow({ where: { id: subscriberId }, include: { topics: { include: { topic: true } } } });
  const { topics, ...rest } = row;
  return { ...rest, topics: topics.map((link) => `${link.topic.kind}:${link.topic.query}`).sort() };
};

const valid = {
  keywords: 'agents\n"mixture of experts"',
  categories: ["cs.CL", "cs.LG"],
  authors: "Yann LeCun",
  exclusions: "survey",
  cadence: "weekdays",
  popularity: "niche",
  timezone: "Europe/Berlin",
  sendHour: "7",
  maxPapers: "4",
  pausedUntil: "",
  textOnly: "true",
};

describe("manage page", () => {
  it("shows the current preferences, with topics escaped, and a preview", async () => {
    const response = await fetch(`${t.baseUrl}/manage?token=${token}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<textarea id="keywords" name="keywords" rows="4" aria-describedby="keywords-help">agents</textarea>');
    expect(html).toMatch(/<ol class="papers" id="preview-list">\s*<li><a href="https:\/\/huggingface\.co\/papers\/2605\.\d+">/);
    expect(html).toContain('<script src="/assets/manage.js" defer></script>');
  });

  it("saves every field in one go", async () => {
    const form = await openForm(t.baseUrl, `/manage?token=${token}`);
    const response = await postForm(`${t.baseUrl}/manage?token=${token}`, { ...valid, _csrf: form.csrf }, form.cookie);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/manage?token=${token}&saved=1`);
    expect(await snapshot()).toMatchObject({
      cadence: "weekdays",
      popularity: "niche",
      textOnly: true,
      timezone: "Europe/Berlin",
      sendHour: 7,
      maxPapers: 4,
      pausedUntil: null,
      topics: ["author:Yann LeCun", "category:cs.CL", "category:cs.LG", "exclude:survey", "keyword:agents", "phrase:mixture of experts"],
    });
    expect(await (await fetch(`${t.baseUrl}${response.headers.get("location")}`)).text()).toContain("Saved.");
  });

  it.each([
    ["an unknown time zone", { timezone: "Mars/Olympus" }, "timezone", /unknown time zone "Mars\/Olympus"/],
    ["a send hour of 24", { sendHour: "24" }, "sendHour", /whole number from 0 to 23/],
    ["500 topics", { keywords: Array.from({ length: 500 }, (_, i) => `t${i}`).join("\n") }, "keywords", /at most 50 topics/],
    ["a 10 kB topic", { keywords: "y".repeat(10_000) }, "keywords", /at most 200 characters/],
    ["an unknown category", { categories: ["cs.XX"] }, "categories", /unknown arXiv category/],
    ["a bad pause date", { pausedUntil: "2026-02-30" }, "pausedUntil", /not a date/],
    ["0 papers", { maxPapers: "0" }, "maxPapers", /from 1 to 50/],
    ["an unknown ordering", { popularity: "viral" }, "popularity", /must be one of niche, balanced, trending/],
    ["an unknown cadence", { cadence: "hourly" }, "cadence", /must be one of daily, weekdays, weekly/],
    ["an email style that is neither", { textOnly: "maybe" }, "textOnly", /must be true or false/],
  ])("refuses %s with an inline error and saves nothing", async (_, change, field, message) => {
    const before = await snapshot();
    const form = await openForm(t.baseUrl, `/manage?token=${token}`);
    const response = await postForm(`${t.baseUrl}/manage?token=${token}`, { ...valid, cadence: "daily", ...change, _csrf: form.csrf }, form.cookie);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("Nothing was saved");
    expect(html).toMatch(new RegExp(`class="error" id="${field}-error">|<p class="error">`));
    expect(decodeEntities(html)).toMatch(message);
    // The summary's link leads to the field.
    expect(html).toContain(`<a href="#${field}">`);
    expect(html).toMatch(new RegExp(`id="${field}"`));
    expect(await snapshot()).toEqual(before);
  });

  it("shows HTML and script typed as a topic as text, never as markup", async () => {
    const form = await openForm(t.baseUrl, `/manage?token=${token}`);
    await postForm(`${t.baseUrl}/manage?token=${token}`, { ...valid, keywords: '<script>alert("x")</script>\n<img src=x onerror=alert(1)>', _csrf: form.csrf }, form.cookie);
    const html = await (await fetch(`${t.baseUrl}/manage?token=${token}`)).text();
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;script&gt;alert");
    expect(html).toContain("&lt;img src&#x3D;x onerror&#x3D;alert");
  });

  it("refuses a POST without the CSRF token and changes nothing", async () => {
    const before = await snapshot();
    const response = await postForm(`${t.baseUrl}/manage?token=${token}`, { ...valid, cadence: "daily" });
    expect(response.status).toBe(403);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ["a forged token", "1.1.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["an unsubscribe token", () => signToken(TEST_SECRET, "unsubscribe", { subscriberId, tokenVersion: 1 }, new Date())],
    ["a revoked token", () => signToken(TEST_SECRET, "manage", { subscriberId, tokenVersion: 0 }, new Date())],
    ["no token", ""],
  ])("refuses %s", async (_, value) => {
    const bad = typeof value === "function" ? value() : value;
    const response = await fetch(`${t.baseUrl}/manage?token=${encodeURIComponent(bad)}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/link (is not valid|is missing its token)/);
  });
});

describe("preferences API", () => {
  const api = (path: string, init: RequestInit = {}) => fetch(`${t.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });

  it("reads and updates preferences with a bearer token", async () => {
    const updated = await api("/api/preferences", { method: "PUT", body: JSON.stringify({ keywords: ["diffusion video"], categories: [], authors: [], exclusions: [], maxPapers: 3 }) });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ email: "ada@example.org", keywords: ["diffusion video"], maxPapers: 3 });
    expect(await (await api("/api/preferences")).json()).toMatchObject({ keywords: ["diffusion video"], categories: [], timezone: "Europe/Berlin" });
  });

  it("answers bad values with { error: { code, message, field } } and saves nothing", async () => {
    const before = await snapshot();
    const response = await api("/api/preferences", { method: "PUT", body: JSON.stringify({ timezone: "Nowhere/Land", sendHour: 99 }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        code: "INVALID_ARGUMENT",
        message: expect.stringContaining("unknown time zone"),
        field: "timezone",
        fields: { timezone: expect.any(String), sendHour: expect.stringMatching(/0 to 23/) },
      },
    });
    expect(await snapshot()).toEqual(before);
    expect(await (await fetch(`${t.baseUrl}/api/preferences?token=garbage`)).json()).toEqual({ error: { code: "TOKEN_INVALID", message: "this link is not valid", field: "token" } });
  });

  it.each([
    [{ keywords: [1] }, "keywords", /must be text, one topic per line/],
    [{ authors: { name: "x" } }, "authors", /must be text/],
    [{ textOnly: 1 }, "textOnly", /must be true or false/],
    [{ textOnly: [true] }, "textOnly", /must be true or false/],
    [{ timezone: 5 }, "timezone", /must be a time zone name/],
    [{ pausedUntil: 5 }, "pausedUntil", /must be a date written YYYY-MM-DD/],
  ])("answers a value of the wrong type (%j) with 400 naming the field, never a 500", async (body, field, message) => {
    const before = await snapshot();
    const response = await api("/api/preferences", { method: "PUT", body: JSON.stringify(body) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { fields: Record<string, string> } }).error.fields[field]).toMatch(message);
    expect(await snapshot()).toEqual(before);
  });

  it("previews topics without saving them, and the preview follows the topics", async () => {
    const before = await snapshot();
    const preview = async (keywords: string[]) =>
      (await (await api("/api/preview", { method: "POST", body: JSON.stringify({ keywords, maxPapers: 5 }) })).json()) as { picks: Array<{ arxivId: string; reason: string }> };
    const video = await preview(['"video generation"']);
    const agents = await preview(["agents"]);
    expect(video.picks.length).toBeGreaterThan(0);
    expect(video.picks.every((pick) => pick.reason.includes("video generation"))).toBe(true);
    expect(agents.picks.every((pick) => pick.reason.includes("agents"))).toBe(true);
    expect(agents.picks.map((pick) => pick.arxivId)).not.toEqual(video.picks.map((pick) => pick.arxivId));
    expect(await snapshot()).toEqual(before);
  });

  it("stores nothing for what is being typed: each keystroke's topic is previewed from the same candidate set, its word associations worked out, not kept", async () => {
    const associations = await t.test.db.termAssociation.count();
    const typed = ["rei", "reinf", "reinforce", "reinforcement le", "reinforcement learning"];
    const answers = await Promise.all(typed.map(async (keyword) => (await api("/api/preview", { method: "POST", body: JSON.stringify({ keywords: [keyword] }) })).status));
    expect(answers).toEqual(typed.map(() => 200));
    expect(await t.test.db.termAssociation.count()).toBe(associations);
  });

  it("says how each topic line is read, or why it cannot be, without saving anything", async () => {
    const before = await snapshot();
    const response = await api("/api/topics/read", {
      method: "POST",
      body: JSON.stringify({ keywords: ["diffusion video", '"mixture of experts"', '"unclosed', "like:2605.13724"], authors: ["Yann LeCun"], exclusions: ["survey"], categories: ["cs.CL"] }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { readings: unknown[] }).readings).toEqual([
      { field: "keywords", typed: "diffusion video", meaning: "papers using the words diffusion video (more of them ranks higher)" },
      { field: "keywords", typed: '"mixture of experts"', meaning: "papers with the exact phrase “mixture of experts”" },
      { field: "keywords", typed: '"unclosed', error: expect.stringMatching(/the quote mark \(\"\) at character 1 of "unclosed has no closing quote/) },
      { field: "keywords", typed: "like:2605.13724", meaning: "papers like arXiv 2605.13724" },
      { field: "categories", typed: "cs.CL", meaning: "papers in the arXiv category cs.CL" },
      { field: "authors", typed: "Yann LeCun", meaning: "papers by Yann LeCun" },
      { field: "exclusions", typed: "survey", meaning: "leaves out papers about survey" },
    ]);
    const read = async (body: unknown) => ((await (await api("/api/topics/read", { method: "POST", body: JSON.stringify(body) })).json()) as { readings: unknown[] }).readings;
    expect(await read({ keywords: ['(robot | "embodied agent") planning'] })).toEqual([
      { field: "keywords", typed: '(robot | "embodied agent") planning', meaning: "papers using (robot or “embodied agent”) and planning" },
    ]);
    expect(await read({ keywords: [1, { a: 1 }] })).toEqual([{ field: "keywords", typed: "", error: "must be text, one topic per line, or a list of texts" }]);
    expect(await snapshot()).toEqual(before);
    expect((await fetch(`${t.baseUrl}/api/topics/read?token=garbage`, { method: "POST" })).status).toBe(400);
  });
});

describe("your data", () => {
  it("exports everything as a JSON download", async () => {
    const response = await fetch(`${t.baseUrl}/manage/export?token=${token}`);
    expect(response.headers.get("content-disposition")).toContain("attachment");
    const data = await response.json();
    expect(data).toMatchObject({ subscriber: { email: "ada@example.org", consent: { source: "cli" } }, topics: ["diffusion video"], deliveries: [], papersSent: [] });
  });

  it("says in a status line when the next digest comes, that it is paused (with a button that resumes it), or that the reader left (with one that brings them back)", async () => {
    const page = async () => decodeEntities(await (await fetch(`${t.baseUrl}/manage?token=${token}`)).text());
    await t.test.db.subscriber.update({ where: { id: subscriberId }, data: { status: "active", pausedUntil: null, sendHour: 7, timezone: "Europe/Berlin" } });
    // Each saved topic is shown with how it is read.
    expect(await page()).toMatch(/<li><code>[^<]+<\/code> — papers (using|with|by|in|like) /);
    expect(await page()).toMatch(/<strong>Next digest:<\/strong> \w+day, \d{1,2} \w+ \d{4}, after 07:00 Europe\/Berlin\./);

    await t.test.db.subscriber.update({ where: { id: subscriberId }, data: { pausedUntil: new Date("2099-01-15T00:00:00Z") } });
    const paused = await page();
    expect(paused).toContain("Paused until Thursday, 15 January 2099.");
    const form = await openForm(t.baseUrl, `/manage?token=${token}`);
    expect((await postForm(`${t.baseUrl}/manage/resume?token=${token}`, { _csrf: form.csrf }, form.cookie)).status).toBe(303);
    expect((await t.test.db.subscriber.findUniqueOrThrow({ where: { id: subscriberId } })).pausedUntil).toBeNull();
    expect(await page()).not.toContain("Paused until");

    await t.test.db.subscriber.update({ where: { id: subscriberId }, data: { status: "unsubscribed" } });
    const left = await page();
    expect(left).toContain("You are unsubscribed:");
    const action = /action="(\/resubscribe\?token=[^"]+)"/.exec(left)![1]!;
    const again = await openForm(t.baseUrl, `/manage?token=${token}`);
    expect((await postForm(`${t.baseUrl}${action}`, { _csrf: again.csrf }, again.cookie)).status).toBe(303);
    expect((await t.test.db.subscriber.findUniqueOrThrow({ where: { id: subscriberId } })).status).toBe("active");
  });

  it("deletes the subscriber; with 'never again' the address hash stays suppressed and gets no mail", async () => {
    const form = await openForm(t.baseUrl, `/manage?token=${token}`);
    // The first press only asks; nothing is deleted yet.
    const question = await postForm(`${t.baseUrl}/manage/delete?token=${token}`, { suppress: "1", _csrf: form.csrf }, form.cookie);
    expect(question.status).toBe(200);
    const page = await question.text();
    expect(page).toContain("Delete everything about you?");
    expect(page).toContain("this address will never be emailed again");
    expect(page).toContain(`href="/manage?token=${token}"`);
    expect(await t.test.db.subscriber.count({ where: { email: "ada@example.org" } })).toBe(1);
    const csrf = /name="_csrf" value="([\w-]+)"/.exec(page)![1]!;
    const cookie = `pb_csrf=${/pb_csrf=([\w-]+)/.exec(question.headers.get("set-cookie") ?? form.cookie)![1]}`;
    const response = await postForm(`${t.baseUrl}/manage/delete?token=${token}`, { suppress: "1", confirm: "1", _csrf: csrf }, cookie);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Your data is deleted");
    expect(await t.test.db.subscriber.count({ where: { email: "ada@example.org" } })).toBe(0);
    expect(await t.test.db.suppression.count({ where: { addressHash: hashAddress("ada@example.org") } })).toBe(1);
    const mails = t.sink.messages.length;
    await fetch(`${t.baseUrl}/api/subscribe`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "ada@example.org" }) });
    await t.settle(); // processed: a suppressed address gets nothing
    expect(t.sink.messages.length).toBe(mails);
    expect((await fetch(`${t.baseUrl}/manage?token=${token}`)).status).toBe(400);
  });
});
