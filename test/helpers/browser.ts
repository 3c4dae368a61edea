// Headless Chromium for the page tests: where it is, and a page photographed at
// desktop and phone width (test-artifacts/, git-ignored) and checked with axe
// (WCAG 2.1 A and AA) and for sideways scrolling at each.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { expect } from "vitest";

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
/** CI installs Chromium (.ci/run) and must run the browser tests; elsewhere they are skipped, loudly, without it. */
export const chromiumAvailable = existsSync(CHROMIUM);
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** Photographs the page at 1280 and 375 px in each colour scheme and asks axe about each; fails on any violation or a page wider than the window. */
export async function photograph(page: Page, name: string, schemes: Array<"light" | "dark"> = ["light"]): Promise<void> {
  for (const [width, scheme] of [1280, 375].flatMap((width) => schemes.map((scheme) => [width, scheme] as const))) {
    await page.setViewportSize({ width, height: 900 });
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${ARTIFACTS}${name}-${width}${scheme === "dark" ? "-dark" : ""}.png`, fullPage: true });
    await page.addScriptTag({ path: AXE });
    // Run in the page (a string: this file is compiled without the DOM's types).
    const violations = (await page.evaluate(`axe
      .run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
      .then((result) => result.violations.map((violation) => violation.id + ": " + violation.nodes.map((node) => node.target.join(" ")).join(", ")))`)) as string[];
    expect(violations, `${name} at ${width} px, ${scheme}`).toEqual([]);
    // No sideways scrolling on a phone or a desktop.
    expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), `${name} at ${width} px`).toBe(true);
  }
}

/**
 * A page in a new context that may load from `instance` only: every request to
 * another origin is refused and its URL pushed to `elsewhere`. bypassCSP lets
 * axe's script in (the pages' own policy is tested in test/web).
 */
export async function instanceOnlyPage(browser: Browser, instance: string, elsewhere: string[], options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, ...options });
  const origin = new URL(instance).origin;
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("data:") || url.startsWith("about:") || new URL(url).origin === origin) return route.continue();
    elsewhere.push(url);
    return route.abort();
  });
  return context.newPage();
}
