// A person in headless Chromium: subscribe → confirm from the captured email →
// choose topics, watching the preview change → save → one-click unsubscribe from
// the digest's List-Unsubscribe URL → the next run sends nothing.
// Every page and the digest email are photographed at 1280 and 375 px wide
// (test-artifacts/, git-ignored), checked with axe (WCAG 2.1 A and AA, colour
// contrast included), and nothing they show may load from any host but the instance.
import { mkdir } from "node:fs/promises";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DATE, SAMPLE_FILES } from "../../src/cli/demo.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { fetchThumbnails } from "../../src/sources/thumbnails.ts";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.ts";
import { serveThumbnails } from "../helpers/thumbnails.ts";
import { rawHeader } from "../helpers/smtp-sink.ts";
import { startTestApp, type TestApp } from "../helpers/web-app.ts";
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromiumAvailable, instanceOnlyPage, photograph } from "../helpers/browser.ts";

if (!chromiumAvailable && !process.env.CI) console.warn(`\n[browser tests skipped: ${CHROMIUM} not found — apt-get install -y chromium]\n`);

describe.skipIf(!chromiumAvailable && !process.env.CI)("subscribing in a real browser", () => {
  let t: TestApp;
  let cdn: FixtureServer;
  let browser: Browser;
  let page: Page;
  /** Requests the pages and the email made to any other host (each was refused). */
  const elsewhere: string[] = [];
  const shot = (name: string, schemes?: Array<"light" | "dark">) => photograph(page, name, schemes);

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    t = await startTestApp();
    await ingestBatch(t.test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
    // The listing's thumbnails, stored by the instance (the Hugging Face CDN is a local server here): the browser never asks the CDN.
    cdn = await startFixtureServer();
    const thumbnails = await fetchThumbnails(t.test.db, await serveThumbnails(t.test.db, cdn), new Date("2026-05-13T12:00:00Z"));
    expect(thumbnails.stored).toBeGreaterThan(10);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    // A reader in California: the subscription must take their zone, not UTC.
    page = await instanceOnlyPage(browser, t.baseUrl, elsewhere, { timezoneId: "America/Los_Angeles" });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await cdn?.close();
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
    await page.setContent(String(confirmation!.parsed.html));
    await shot("2b-confirmation-email", ["light", "dark"]);
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto(t.linksIn(confirmation!, "/confirm")[0]!);
    await expect.poll(() => page.locator(".notice").textContent()).toContain("You are subscribed.");
    // The subscribe form sent the browser's zone: it is saved already, before the reader presses Save.
    expect(await page.getByLabel("Time zone").inputValue()).toBe("America/Los_Angeles");
    expect((await t.test.db.subscriber.findUniqueOrThrow({ where: { email: "reader@example.org" } })).timezone).toBe("America/Los_Angeles");
    await expect.poll(() => page.locator("#timezone-help").textContent()).toContain("now America/Los_Angeles");
    await shot("3-manage-welcome");

    const preview = page.locator("#preview-list li");
    const trending = await preview.allTextContents();
    expect(trending.length).toBeGreaterThan(0);
    expect(trending[0]).toContain("Trending");
    // Each line says how it is read as it is typed, in plain words; a line that cannot be read says why.
    await page.getByLabel(/Keywords and "quoted phrases"/).fill('"video generation"\n"diffusion models');
    await expect
      .poll(() => page.locator("#topic-readings li").allTextContents())
      .toEqual(['"video generation" — papers with the exact phrase “video generation”', expect.stringMatching(/^"diffusion models — the quote mark \(\"\) at character 1 .*has no closing quote/)]);
    expect(await page.locator("#topic-readings li.error").count()).toBe(1);
    await shot("3b-manage-typing");
    await page.getByLabel(/Keywords and "quoted phrases"/).fill('"video generation"');
    await expect.poll(async () => (await preview.allTextContents()).join("\n")).toContain("Matched “video generation”");
    await expect.poll(() => page.locator("#topic-readings li").count()).toBe(1);
    expect((await preview.allTextContents()).every((item) => item.includes("video generation"))).toBe(true);
    // On a phone (the last width photographed) the preview's count stays in view under the topics, and follows them.
    expect(page.viewportSize()?.width).toBe(375);
    expect(await page.locator("#preview-inline").isVisible()).toBe(true);
    expect(await page.locator("#preview-inline").textContent()).toBe(await page.locator("#preview-status").textContent());
    await page.getByLabel("Papers per email").fill("3");
    await shot("4-manage-preview");
    // A failed save keeps what was typed and puts the focus on the summary of what went wrong.
    await page.getByLabel("Time zone").fill("Mars/Olympus_Mons");
    await page.getByRole("button", { name: "Save preferences" }).click();
    await expect.poll(() => page.evaluate("document.activeElement && document.activeElement.id")).toBe("error-summary");
    expect(await page.locator("#error-summary").textContent()).toContain("Mars/Olympus_Mons");
    await shot("4b-manage-error");
    await page.getByLabel("Time zone").fill("America/Los_Angeles");
    expect(await page.getByLabel("Papers per email").inputValue()).toBe("3");

    await page.getByRole("button", { name: "Save preferences" }).click();
    await expect.poll(() => page.locator(".notice").textContent()).toBe("Saved.");
    const saved = await t.test.db.subscriber.findUniqueOrThrow({ where: { email: "reader@example.org" }, include: { topics: { include: { topic: true } } } });
    expect(saved).toMatchObject({ status: "active", maxPapers: 3 });
    expect(saved.topics.map((link) => link.topic.query)).toEqual(["video generation"]);
    await shot("5-manage-saved");
    // Deleting asks first, on a page of its own; "No" goes back with nothing changed.
    await page.getByRole("button", { name: "Delete my data" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Delete everything about you?");
    await shot("5b-confirm-delete");
    await page.getByRole("link", { name: "No, keep my data" }).click();
    await expect.poll(() => page.getByLabel("Papers per email").inputValue()).toBe("3");
    expect(await t.test.db.subscriber.count({ where: { email: "reader@example.org" } })).toBe(1);

    await runDigest({ ...t.deps, lookbackDays: 2 }, { date: "2026-05-13" });
    const digest = t.sink.messages.find((message) => message.to.includes("reader@example.org") && message.parsed.subject?.startsWith("3 new papers: "));
    expect(digest).toBeDefined();
    expect((String(digest!.parsed.html).match(/class="card"/g) ?? []).length).toBe(3);
    await page.setContent(String(digest!.parsed.html));
    // The top papers' thumbnails come from the instance, and load.
    const images = (await page.evaluate("Array.from(document.images).map((image) => image.src)")) as string[];
    expect(images.length).toBeGreaterThan(0);
    expect(images.length).toBeLessThanOrEqual(3);
    for (const src of images) expect(src).toMatch(new RegExp(`^${t.baseUrl}/thumbnails/\\d{4}\\.\\d{4,5}\\.jpg$`));
    await expect.poll(() => page.evaluate("Array.from(document.images).every((image) => image.complete && image.naturalWidth > 0)")).toBe(true);
    // The email declares dark colours: checked in both schemes.
    await shot("6-digest-email", ["light", "dark"]);
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto(t.linksIn(digest!, "/digests/daily%3A2026-05-13")[0]!);
    await expect.poll(() => page.locator(".card").count()).toBe(3);
    await shot("6b-digest-in-browser");
    await page.goto(t.linksIn(digest!, "/feedback")[0]!);
    await expect.poll(() => page.locator("h1").textContent()).toBe("Your feedback");
    await shot("6c-feedback");
    await page.goto(`${t.baseUrl}/manage?token=1.1.0.${"x".repeat(22)}`);
    await shot("6d-bad-link");

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
    expect(elsewhere).toEqual([]);

    const before = t.sink.messages.length;
    const report = await runDigest({ ...t.deps, lookbackDays: 2 }, { date: DEMO_DATE });
    expect(report.outcomes.map((outcome) => outcome.email)).not.toContain("reader@example.org");
    expect(t.sink.messages.slice(before).filter((message) => message.to.includes("reader@example.org"))).toEqual([]);
  });
});
