// A person in headless Chromium: subscribe → confirm from the captured email →
// choose topics, watching the preview change → save → one-click unsubscribe from
// the digest's List-Unsubscribe URL → the next run sends nothing.
// Screenshots of every page go to test-artifacts/ (git-ignored).
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DATE, SAMPLE_FILES } from "../../src/cli/demo.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { rawHeader } from "../helpers/smtp-sink.ts";
import { startTestApp, type TestApp } from "../helpers/web-app.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
// CI installs Chromium (.ci/run) and must run this test; elsewhere it is skipped, loudly, without it.
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) console.warn(`\n[browser tests skipped: ${CHROMIUM} not found — apt-get install -y chromium]\n`);

describe.skipIf(!available && !process.env.CI)("subscribing in a real browser", () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    t = await startTestApp();
    await ingestBatch(t.test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"] });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("goes from the landing page to an unsubscribed reader who gets nothing more", async () => {
    await page.goto(`${t.baseUrl}/`);
    await shot("1-home");
    await page.getByLabel("Email address").fill("reader@example.org");
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Check your inbox");
    await shot("2-check-inbox");

    // The confirmation email follows the answer.
    await expect.poll(() => t.sink.messages.find((message) => message.to.includes("reader@example.org"))?.parsed.subject).toBe("Confirm your paperboy subscription");
    const confirmation = t.sink.messages.find((message) => message.to.includes("reader@example.org"));
    await page.goto(t.linksIn(confirmation!, "/confirm")[0]!);
    await expect.poll(() => page.locator(".notice").textContent()).toContain("You are subscribed.");
    // The time zone defaults from the browser (Chromium reports its own zone, UTC here or the machine's).
    expect(await page.getByLabel("Time zone").inputValue()).not.toBe("");
    await shot("3-manage-welcome");

    const preview = page.locator("#preview-list li");
    const trending = await preview.allTextContents();
    expect(trending.length).toBeGreaterThan(0);
    expect(trending[0]).toContain("Trending");
    await page.getByLabel(/Keywords and "quoted phrases"/).fill('"video generation"');
    await expect.poll(async () => (await preview.allTextContents()).join("\n")).toContain("Matched “video generation”");
    expect((await preview.allTextContents()).every((item) => item.includes("video generation"))).toBe(true);
    await page.getByLabel("Papers per email").fill("3");
    await shot("4-manage-preview");

    await page.getByRole("button", { name: "Save preferences" }).click();
    await expect.poll(() => page.locator(".notice").textContent()).toBe("Saved.");
    const saved = await t.test.db.subscriber.findUniqueOrThrow({ where: { email: "reader@example.org" }, include: { topics: { include: { topic: true } } } });
    expect(saved).toMatchObject({ status: "active", maxPapers: 3 });
    expect(saved.topics.map((link) => link.topic.query)).toEqual(["video generation"]);
    await shot("5-manage-saved");

    await runDigest({ ...t.deps, lookbackDays: 2 }, { date: "2026-05-13" });
    const digest = t.sink.messages.find((message) => message.to.includes("reader@example.org") && message.parsed.subject?.includes("video generation"));
    expect(digest).toBeDefined();
    expect((String(digest!.parsed.html).match(/class="title"/g) ?? []).length).toBe(3);
    await page.setContent(String(digest!.parsed.html));
    await shot("6-digest-email");

    const unsubscribeUrl = /^<(.+)>$/.exec(rawHeader(digest!.raw, "List-Unsubscribe")!)![1]!;
    await page.goto(unsubscribeUrl);
    await shot("7-unsubscribe-page");
    expect((await t.test.db.subscriber.findUniqueOrThrow({ where: { email: "reader@example.org" } })).status).toBe("active");
    // What a mailbox provider does for RFC 8058 one-click: a POST with no cookies.
    const oneClick = await fetch(unsubscribeUrl, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(oneClick.status).toBe(200);
    expect((await t.test.db.subscriber.findUniqueOrThrow({ where: { email: "reader@example.org" } })).status).toBe("unsubscribed");

    await page.getByRole("button", { name: "Unsubscribe" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("You are unsubscribed");
    await shot("8-goodbye");

    const before = t.sink.messages.length;
    const report = await runDigest({ ...t.deps, lookbackDays: 2 }, { date: DEMO_DATE });
    expect(report.outcomes.map((outcome) => outcome.email)).not.toContain("reader@example.org");
    expect(t.sink.messages.slice(before).filter((message) => message.to.includes("reader@example.org"))).toEqual([]);
  });
});
