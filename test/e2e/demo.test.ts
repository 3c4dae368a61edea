// `npm run demo` as a new user runs it: no DATABASE_URL, no SMTP — the embedded
// PostgreSQL and the outbox.
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/run-cli.ts";

let dataDir: string;
beforeAll(async () => {
  const root = await mkdtemp(path.join(tmpdir(), "paperboy-demo-"));
  await chmod(root, 0o755);
  dataDir = path.join(root, "data");
});
afterAll(async () => {
  await rm(path.dirname(dataDir), { recursive: true, force: true });
});

describe("paperboy demo", () => {
  it("mails the demo digests to the outbox once, says so the second time, and starts over with --reset", async () => {
    const env = { PAPERBOY_DATA_DIR: dataDir };
    const first = await runCli(["demo"], env);
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/ada@example\.org — sent 5 papers/);
    expect(first.stdout).toMatch(/katherine@example\.org — sent 5 papers\n\s+1\. \[2605\.\d+\] .*\n\s+Trending: \d+ upvotes/);
    expect(first.stdout).toMatch(/marie@example\.org — skipped: none of \d+ papers from 2026-05-13 to 2026-05-14 matched "protein folding"/);
    expect(first.stdout).toContain("Sent 4, skipped 1, failed 0");
    const outbox = path.join(dataDir, "outbox", "2026-05-14");
    expect(first.stdout).toContain(`Emails (.eml to import, .html to open in a browser): ${outbox}`);

    const files = (await readdir(outbox)).sort();
    expect(files.filter((file) => file.endsWith(".eml"))).toHaveLength(4);
    expect(files.filter((file) => file.endsWith(".html"))).toHaveLength(4);
    const eml = await readFile(path.join(outbox, files.find((file) => file.startsWith("grace@") && file.endsWith(".eml"))!), "utf8");
    const parsed = await simpleParser(eml);
    expect(parsed.subject).toBe("5 new papers: AnyFlow: Any-Step Video Diffusion Model with On-Policy…");
    expect(parsed.text).toContain('5 new papers picked for you on diffusion video and "video generation".');
    expect((String(parsed.html).match(/class="card"/g) ?? []).length).toBe(5);

    const second = await runCli(["demo"], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("Nothing new to send for 2026-05-14: 4 subscribers were already sent it; 1 was skipped (nothing to send, and no papers have been ingested since).");
    expect((await readdir(outbox)).length).toBe(8);

    const reset = await runCli(["demo", "--reset"], env);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain("Sent 4, skipped 1, failed 0");
    expect((await readdir(outbox)).length).toBe(8);
  }, 600_000); // three CLI runs, each starting PostgreSQL: ~40 s alone, over 2 min with two suites running
});
