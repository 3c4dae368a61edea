import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // No test reaches the internet: a CLI started with this environment fetches no thumbnails (tests that do serve them locally).
    env: { PAPERBOY_THUMBNAILS: "off" },
    // Timeouts only catch a test that is stuck: tests wait for conditions, never
    // for a time, and a loaded machine (two suites on two cores) can be 5× slower
    // than an idle one. Tests that start several CLI processes or workers set
    // their own, larger timeout.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // expect.poll waits for a condition; its default bound (1 s) is a race a loaded machine loses.
    expect: { poll: { timeout: 120_000 } },
    // Two cores: more workers only contend with PostgreSQL and the SMTP servers.
    maxWorkers: 2,
  },
});
