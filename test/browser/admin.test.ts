// An operator in headless Chromium: logs in with the admin token, looks at the
// overview and its chart, finds a subscriber, opens them, the runs, the outbox
// and one message in it. Every page is photographed at 1280 and 375 px wide and
// checked with axe; nothing may load from any host but the instance.
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_FILES } from "../../src/cli/demo.ts";
import { createOutboxMailer } from "../../src/delivery/outbox-mailer.ts";
import { runDigest } from "../../src/digest/run-digest.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromiumAvailable, instanceOnlyPage, photograph } from "../helpers/browser.ts";
import { startTestApp, type TestApp } from "../helpers/web-app.ts";

const ADMIN = "browser-admin-token-0123456789";

describe.skipIf(!chromiumAvailable && !process.env.CI)("the operator's pages in a real browser", () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const elsewhere: string[] = [];

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    t = await startTestApp();
    t.deps.adminToken = ADMIN;
    t.deps.outboxDir = await mkdtemp(path.join(tmpdir(), "paperboy-browser-outbox-"));
    await ingestBatch(t.test.db, await createJsonFileSource(SAMPLE_FILES).fetchPapers());
    for (const [email, topics] of [
      ["ada@example.org", ["agents"]],
      ["grace@example.org", ['"video generation"', "diffusion"]],
    ] as const) {
      await addSubscriber(t.test.db, { email, topics: [...topics], source: "cli" }, new Date());
    }
    await runDigest({ ...t.deps, mailer: createOutboxMailer(t.deps.outboxDir), lookbackDays: 2 }, { date: "2026-05-14" });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await instanceOnlyPage(browser, t.baseUrl, elsewhere);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("logs in, and shows the overview with its chart, subscribers, one subscriber, runs and the outbox", async () => {
    await page.goto(`${t.baseUrl}/admin/subscribers`);
    expect(await page.locator("h1").textContent()).toBe("Operator login");
    await photograph(page, "admin-1-login");
    await page.getByLabel("Admin token").fill("wrong");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect.poll(() => page.locator(".error").textContent()).toBe("That is not the admin token.");
    await page.getByLabel("Admin token").fill(ADMIN);
    await page.getByRole("button", { name: "Log in" }).click();
    // Back where the operator was going.
    await expect.poll(() => page.locator("h1").textContent()).toBe("Subscribers");
    await photograph(page, "admin-3-subscribers");

    await page.getByRole("link", { name: "Overview" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Overview");
    // uPlot drew the chart: a canvas inside it, and its legend names the series.
    await expect.poll(() => page.locator("#chart canvas").count()).toBeGreaterThan(0);
    expect(await page.locator("#chart").textContent()).toContain("Digests sent");
    await photograph(page, "admin-2-overview");

    await page.getByRole("link", { name: "Subscribers" }).click();
    await page.getByLabel("Follows a topic with").fill("video");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.locator("main").textContent()).toContain("1 subscriber");
    await page.getByRole("link", { name: "grace@example.org" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("grace@example.org");
    expect(await page.locator("main").textContent()).toContain("daily:2026-05-14");
    await photograph(page, "admin-4-subscriber");

    await page.getByRole("link", { name: "Runs" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Runs");
    await photograph(page, "admin-5-runs");

    await page.getByRole("link", { name: "Outbox" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Outbox");
    expect(await page.locator("main").textContent()).toContain("Showing 2 of 2 messages");
    await photograph(page, "admin-6-outbox");
    await page.locator("table.list a").first().click();
    await expect.poll(() => page.locator("h2").first().textContent()).toBe("Headers");
    // The HTML part is in its sandboxed frame, rendered.
    const frame = page.frameLocator("iframe.mail");
    await expect.poll(() => frame.locator("body").textContent()).toContain("2026");
    await photograph(page, "admin-7-outbox-message");

    await page.getByRole("button", { name: "Log out" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Operator login");
    expect(elsewhere).toEqual([]);
  });
});
