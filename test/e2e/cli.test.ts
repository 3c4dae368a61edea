// The `paperboy` command as a user runs it: a child process against a real database.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { readFileSync as readFileSyncForTest } from "node:fs";
import { startFixtureServer } from "../helpers/fixture-server.ts";
import { FIXTURES_DIR, HF_DAILY_FILES } from "../helpers/fixtures.ts";
import { BIN, ROOT, runCli } from "../helpers/run-cli.ts";
import { startSmtpSink } from "../helpers/smtp-sink.ts";

let test: TestDatabase;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  test = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), "paperboy-cli-"));
  env = { DATABASE_URL: test.url, PAPERBOY_DATA_DIR: dir, PAPERBOY_SECRET: "cli-test-secret".padEnd(40, "z") };
});
afterAll(async () => {
  await test.drop();
});

describe("paperboy CLI", () => {
  it("ingests a file, adds subscribers, and prints the plan as JSON without sending", async () => {
    const ingest = await runCli(["ingest", "--file", HF_DAILY_FILES["2026-05-14"]], { ...env, PAPERBOY_LOG_LEVEL: "info" });
    expect(ingest.stderr).toContain("Ingested 37 papers from file: 37 new, 0 updated, 0 rejected");
    expect(ingest.code).toBe(0);

    const add = await runCli(["subscribers", "add", "Ada@Example.org", "--topic", "agents", "--topic", '"video generation"', "--max-papers", "3"], env);
    expect(add).toMatchObject({ code: 0, stdout: expect.stringContaining('Added ada@example.org (id 1); topics: agents, "video generation"; daily, after 8:00 UTC, 3 papers, balanced, HTML') });

    const list = await runCli(["subscribers", "list", "--json"], env);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({
        email: "ada@example.org",
        topics: [
          { kind: "keyword", query: "agents" },
          { kind: "phrase", query: "video generation" },
        ],
      }),
    ]);

    const plan = await runCli(["run", "--date", "2026-05-14", "--dry-run", "--json"], env);
    expect(plan.code).toBe(0);
    const report = JSON.parse(plan.stdout);
    expect(report).toMatchObject({ dryRun: true, digests: [expect.objectContaining({ key: "daily:2026-05-14" })], counts: { planned: 1, sent: 0 } });
    expect(report.outcomes[0].picks).toHaveLength(3);
    expect(report.outcomes[0].picks[0]).toEqual({
      paperId: expect.any(Number),
      arxivId: expect.stringMatching(/^2605\./),
      title: expect.any(String),
      score: expect.any(Number),
      relevance: expect.any(Number),
      reason: expect.stringMatching(/^Matched /),
    });

    const preview = await runCli(["preview", "ada@example.org", "--date", "2026-05-14", "--json"], env);
    expect(JSON.parse(preview.stdout).picks.map((pick: { arxivId: string }) => pick.arxivId)).toEqual(report.outcomes[0].picks.map((pick: { arxivId: string }) => pick.arxivId));
    const html = path.join(dir, "preview.html");
    const written = await runCli(["preview", "ada@example.org", "--date", "2026-05-14", "--format", "html", "--out", html], env);
    expect(written.stdout).toContain(`Wrote 3 papers for ada@example.org to ${html}`);
    expect(await readFile(html, "utf8")).toContain("<!doctype html>");
    // A day without papers says so, rather than "nothing matched".
    const empty = await runCli(["preview", "ada@example.org", "--date", "2026-06-30"], env);
    expect(empty.stdout).toContain("No digest: no papers were featured from 2026-06-29 to 2026-06-30.");
    expect(await test.db.delivery.count()).toBe(0);
  });

  it("sends to the outbox by default and only once per date", async () => {
    const run = await runCli(["run", "--date", "2026-05-14"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("ada@example.org — sent 3 papers");
    const files = await readdir(path.join(dir, "outbox", "2026-05-14"));
    expect(files.filter((file) => file.endsWith(".eml"))).toHaveLength(1);
    expect(files.filter((file) => file.endsWith(".html"))).toHaveLength(1);
    const again = await runCli(["run", "--date", "2026-05-14"], env);
    expect(again.stdout).toContain("Nothing new to send for 2026-05-14: 1 subscriber was already sent it.");
  });

  it.each([
    [["subscribers", "add", "not-an-email", "--topic", "agents"], 2, /error: "not-an-email" is not a valid email address/],
    [
      ["subscribers", "add", "eve@example.org", "--topic", '"unbalanced'],
      2,
      /error: option '--topic <topic>' argument '"unbalanced' is invalid\. the quote mark \("\) at character 1 of "unbalanced has no closing quote/,
    ],
    // issue 11.10: a value that breaks its rule is bad usage (2), whichever the rule
    [["subscribers", "add", "eve@example.org", "--max-papers", "500"], 2, /argument '500' is invalid\. expected a whole number from 1 to 50/],
    [["subscribers", "add", "eve@example.org", "--max-papers", "0"], 2, /argument '0' is invalid\. expected a whole number from 1 to 50/],
    [["ingest", "--source", "bogus"], 2, /argument 'bogus' is invalid\. Allowed choices are hf, arxiv, file/],
    [["ingest", "--source", "file"], 2, /error: --source file needs --file <path>/],
    [["ingest", "--source", "arxiv", "--categories", "cs.CL cs.LG"], 2, /expected arXiv categories joined by \+/],
    [["preview", "ada@example.org", "--format", "pdf"], 2, /argument 'pdf' is invalid\. Allowed choices are text, html/],
    [["subscribers", "show", "ada"], 2, /error: "ada" is not a valid email address/],
    [["suppress", "a@b@example.org"], 2, /error: "a@b@example\.org" is not a valid email address/],
    [["worker", "--count", "0"], 2, /argument '0' is invalid\. expected a whole number from 1 to 32/],
    [["runs", "--last", "x"], 2, /argument 'x' is invalid\. expected a whole number of at least 1/],
    [["subscribers", "add", "ada@example.org"], 1, /error: ada@example\.org is already subscribed/],
    [["run", "--date", "2026-13-45"], 2, /"2026-13-45" is not a date in the form YYYY-MM-DD/],
    [["ingest", "--file", "/nonexistent/papers.json"], 1, /error: cannot read \/nonexistent\/papers\.json/],
    [["preview", "nobody@example.org", "--date", "2026-05-14"], 1, /error: no subscriber with address nobody@example\.org/],
    [["frobnicate"], 2, /unknown command 'frobnicate'/],
  ])("%j exits %i with a clear message and changes nothing", async (args, code, message) => {
    const before = { subscribers: await test.db.subscriber.count(), papers: await test.db.paper.count() };
    const result = await runCli(args, env);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect({ subscribers: await test.db.subscriber.count(), papers: await test.db.paper.count() }).toEqual(before);
  });

  it("prints its version from package.json (issue 11.10)", async () => {
    const { version } = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8"));
    expect(await runCli(["--version"], env)).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it("reports a malformed file by name and rejected records with their reasons", async () => {
    const broken = path.join(dir, "broken.json");
    await writeFile(broken, "<html>502 Bad Gateway</html>");
    const result = await runCli(["ingest", "--file", broken], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: ${broken} is not valid JSON`);

    const partial = path.join(dir, "partial.json");
    const entries = JSON.parse(await readFile(HF_DAILY_FILES["2024-10-25"], "utf8"));
    entries[1].paper.id = "bogus";
    await writeFile(partial, JSON.stringify(entries));
    const kept = await runCli(["ingest", "--file", partial], { ...env, PAPERBOY_LOG_LEVEL: "info" });
    expect(kept.code).toBe(0);
    expect(kept.stderr).toContain(`Ingested ${entries.length - 1} papers from file: ${entries.length - 1} new, 0 updated, 1 rejected`);
    expect(kept.stderr).toMatch(/rejected "bogus": .*paper\.id is not an arXiv identifier/);
  });
});

describe("paperboy subscribers import/export/show/remove and topics list", () => {
  it("imports the good rows, reports each bad one with its line, and exports them back", async () => {
    const csv = path.join(dir, "people.csv");
    await writeFile(
      csv,
      [
        "email,topics,max_papers,timezone,send_hour",
        'grace@example.org,"diffusion video; ""video generation""",4,Europe/Berlin,7',
        "not-an-email,agents,,,",
        "alan@example.org,agents,,Mars/Olympus,",
        "katherine@example.org,,3,,25",
        "marie@example.org,agents,,,",
        'eve@example.org,"""broken",,,',
        'carol@example.org,robots;"mixture of experts"', // issue 11.8: a phrase written the natural way
        "Marie@Example.org,robots,,,",
      ].join("\n"),
    );
    const result = await runCli(["subscribers", "import", csv], env);
    expect(result.code).toBe(4); // issue 11.8: rows were rejected
    expect(result.stdout).toContain("Imported 3 subscribers; rejected 5");
    // Rows are added a few at a time; the report stays in line order, and an address twice counts once, its first time.
    expect(
      result.stdout
        .split("\n")
        .filter((line) => line.startsWith("  line "))
        .map((line) => Number(/line (\d+)/.exec(line)![1])),
    ).toEqual([3, 4, 5, 7, 9]);
    expect(result.stdout).toMatch(/line 9 \(Marie@Example\.org\): the same address as line 6/);
    expect(result.stdout).toMatch(/line 3 \(not-an-email\): .*not a valid email address/);
    expect(result.stdout).toMatch(/line 4 \(alan@example\.org\): unknown time zone "Mars\/Olympus"/);
    expect(result.stdout).toMatch(/line 5 \(katherine@example\.org\): the send hour must be a whole number from 0 to 23/);
    expect(result.stdout).toMatch(/line 7 \(eve@example\.org\): the quote mark/);
    expect(await test.db.subscriber.count({ where: { email: { in: ["grace@example.org", "marie@example.org"] } } })).toBe(2);

    const exported = await runCli(["subscribers", "export"], env);
    expect(exported.stdout.split("\n")[0]).toBe("email,topics,max_papers,timezone,send_hour,cadence,popularity,text_only,paused_until,status");
    expect(exported.stdout).toContain('grace@example.org,"diffusion video; ""video generation""",4,Europe/Berlin,7,daily,balanced,false,,active');
    expect(exported.stdout).toContain('carol@example.org,"robots; ""mixture of experts""",10,UTC,8,daily,balanced,false,,active');

    const good = path.join(dir, "good.csv");
    await writeFile(good, "email,topics\nfrances@example.org,robots\n");
    expect(await runCli(["subscribers", "import", good], env)).toMatchObject({ code: 0, stdout: expect.stringContaining("Imported 1 subscriber; rejected 0") });
  });

  it("adds a subscriber with their schedule and settings, as set would change them", async () => {
    const add = await runCli(
      [
        "subscribers",
        "add",
        "hopper@example.org",
        "--topic",
        "compilers",
        "--cadence",
        "weekdays",
        "--timezone",
        "America/New_York",
        "--send-hour",
        "7",
        "--order",
        "niche",
        "--text-only",
        "--pause-until",
        "2026-06-02",
      ],
      env,
    );
    expect(add).toMatchObject({ code: 0, stdout: expect.stringContaining("topics: compilers; weekdays, after 7:00 America/New_York, 10 papers, niche, text only, paused until 2026-06-02") });
    const wrong = await runCli(["subscribers", "add", "lovelace@example.org", "--pause-until", "next tuesday"], env);
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringContaining("--pause-until: ") });
    expect(await test.db.subscriber.count({ where: { email: "lovelace@example.org" } })).toBe(0);
    expect((await runCli(["subscribers", "remove", "hopper@example.org"], env)).code).toBe(0);
  });

  it("changes a subscriber's schedule and settings, naming a wrong option and changing nothing then", async () => {
    const before = await test.db.subscriber.findUniqueOrThrow({ where: { email: "ada@example.org" } });
    const set = await runCli(
      [
        "subscribers",
        "set",
        "Ada@example.org",
        "--cadence",
        "weekly",
        "--timezone",
        "Asia/Tokyo",
        "--send-hour",
        "6",
        "--max-papers",
        "12",
        "--order",
        "trending",
        "--text-only",
        "--pause-until",
        "2026-06-01",
      ],
      env,
    );
    expect(set).toMatchObject({ code: 0, stdout: expect.stringContaining("Updated ada@example.org: weekly, after 6:00 Asia/Tokyo, 12 papers, trending, text only, paused until 2026-06-01") });
    const stored = await test.db.subscriber.findUniqueOrThrow({ where: { email: "ada@example.org" } });
    expect(stored).toMatchObject({ cadence: "weekly", timezone: "Asia/Tokyo", sendHour: 6, maxPapers: 12, popularity: "trending", textOnly: true });
    expect(stored.pausedUntil?.toISOString().slice(0, 10)).toBe("2026-06-01");
    // The topics are kept.
    expect((await runCli(["subscribers", "show", "ada@example.org"], env)).stdout).toContain('topics: agents, "video generation"');

    const wrong = await runCli(["subscribers", "set", "ada@example.org", "--timezone", "Mars/Olympus", "--max-papers", "3"], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/--timezone: .*Mars\/Olympus/);
    expect(await test.db.subscriber.findUniqueOrThrow({ where: { email: "ada@example.org" } })).toMatchObject({ timezone: "Asia/Tokyo", maxPapers: 12 });
    expect((await runCli(["subscribers", "set", "ada@example.org", "--send-hour", "24"], env)).code).toBe(2);
    expect((await runCli(["subscribers", "set", "ada@example.org", "--order", "random"], env)).code).toBe(2);
    const nothing = await runCli(["subscribers", "set", "ada@example.org"], env);
    expect(nothing).toMatchObject({ code: 1, stderr: expect.stringContaining("nothing to change: give at least one of --cadence") });

    // Back as it was, for the tests after this one.
    const back = await runCli(
      [
        "subscribers",
        "set",
        "ada@example.org",
        "--cadence",
        before.cadence,
        "--timezone",
        before.timezone,
        "--send-hour",
        String(before.sendHour),
        "--max-papers",
        String(before.maxPapers),
        "--order",
        before.popularity,
        before.textOnly ? "--text-only" : "--no-text-only",
        "--pause-until",
        "none",
      ],
      env,
    );
    expect(back.stdout).toContain(
      `Updated ada@example.org: ${before.cadence}, after ${before.sendHour}:00 ${before.timezone}, ${before.maxPapers} papers, ${before.popularity}, ${before.textOnly ? "text only" : "HTML"}`,
    );
    expect(await test.db.subscriber.findUniqueOrThrow({ where: { email: "ada@example.org" } })).toEqual(before);
    expect((await runCli(["subscribers", "list"], env)).stdout).toMatch(new RegExp(`active\\s+${before.cadence}\\s+ada@example.org`));
  });

  it("shows, counts topics, and removes with suppression", async () => {
    const show = await runCli(["subscribers", "show", "GRACE@example.org"], env);
    expect(show.stdout).toContain("grace@example.org (id");
    expect(show.stdout).toContain('topics: diffusion video, "video generation"');
    expect(show.stdout).toContain("daily, after 7:00 Europe/Berlin, 4 papers");

    const topics = await runCli(["topics", "list"], env);
    expect(topics.stdout).toMatch(/^\s+2\s+agents$/m);

    const removed = await runCli(["subscribers", "remove", "grace@example.org", "--suppress"], env);
    expect(removed.stdout).toContain("Removed grace@example.org and suppressed the address");
    expect(await test.db.subscriber.count({ where: { email: "grace@example.org" } })).toBe(0);
    expect(await test.db.suppression.count()).toBe(1);
    const again = await runCli(["subscribers", "show", "grace@example.org"], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("no subscriber with address grace@example.org");
  });
});

describe("paperboy serve", () => {
  it("refuses to start without PAPERBOY_SECRET", async () => {
    const result = await runCli(["serve"], { ...env, PAPERBOY_SECRET: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("PAPERBOY_SECRET must be set to serve");
  });

  it("serves the web app and, from its own scheduler and workers, mails whoever is due; stops on SIGTERM", async () => {
    const sink = await startSmtpSink();
    const today = new Date().toISOString().slice(0, 10);
    await test.db.paper.create({ data: { arxivId: "2699.00042", title: "A paper listed today", abstract: "Fresh results.", upvotes: 7, source: "file", featuredOn: new Date(`${today}T00:00:00Z`) } });
    // Due right away: local send hour 0 has passed everywhere; the scheduler ticks once at start.
    await test.db.subscriber.create({ data: { email: "due-now@example.org", status: "active", sendHour: 0, timezone: "UTC" } });
    const child = spawn(process.execPath, [BIN, "serve"], {
      cwd: ROOT,
      env: { ...process.env, ...env, PAPERBOY_PORT: "0", PAPERBOY_LOG_LEVEL: "info", PAPERBOY_SMTP_URL: sink.url, PAPERBOY_SOURCES: "none" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    try {
      const address = await new Promise<string>((resolve, reject) => {
        child.stderr.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
          if (match) resolve(match[1]!);
        });
        child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${output}`)));
      });
      expect(await (await fetch(`${address}/healthz`)).json()).toMatchObject({ status: "ok", database: "ok" });
      expect((await fetch(`${address}/`)).status).toBe(200);
      // Real SMTP without a postal address for the footer: said once at start.
      expect(output).toMatch(/PAPERBOY_SENDER_ADDRESS is not set/);
      await expect.poll(() => sink.messages.filter((message) => message.to.includes("due-now@example.org")).length, { interval: 250 }).toBe(1);
      const digest = sink.messages.find((message) => message.to.includes("due-now@example.org"))!;
      expect(digest.parsed.text).toContain("A paper listed today");
      // No public URL set and PAPERBOY_PORT=0: the links point at the port it listens on.
      expect(digest.parsed.text).toContain(`http://localhost:${new URL(address).port}/manage?token=`);
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(await test.db.delivery.count({ where: { subscriber: { email: "due-now@example.org" }, digestKey: `daily:${today}`, status: "sent" } })).toBe(1);
    } finally {
      child.kill("SIGKILL");
      await sink.close();
    }
  });
});

describe("paperboy tick, runs and suppress", () => {
  it("enqueues who is due, reports the runs, and suppresses an address", async () => {
    const tick = await runCli(["tick"], env);
    expect(tick.code, tick.stderr).toBe(0);
    const report = JSON.parse(tick.stdout);
    expect(report).toMatchObject({ runId: expect.any(Number), ingest: [], due: expect.any(Number), batches: expect.any(Number) });
    expect(report.enqueued + report.alreadyQueued).toBe(report.batches);

    const runs = await runCli(["runs", "--last", "3", "--json"], env);
    const list = JSON.parse(runs.stdout);
    expect(list[0]).toMatchObject({ id: report.runId, kind: "tick", report: { due: report.due } });
    const text = await runCli(["runs", "--last", "1"], env);
    expect(text.stdout).toMatch(new RegExp(`^#${report.runId} tick `));

    const suppressed = await runCli(["suppress", "Marie@Example.org", "--reason", "asked by phone"], env);
    expect(suppressed.stdout).toContain("Suppressed marie@example.org");
    expect((await test.db.subscriber.findUniqueOrThrow({ where: { email: "marie@example.org" } })).status).toBe("unsubscribed");
    expect(await test.db.suppression.count()).toBe(2);
  });
});

describe("paperboy ingest from the APIs", () => {
  it("ingests a day from the HF API and an arXiv listing, with progress and a summary", async () => {
    const server = await startFixtureServer((url) => {
      if (url.pathname === "/api/daily_papers") {
        const limit = Number(url.searchParams.get("limit"));
        const page = Number(url.searchParams.get("p"));
        return { body: JSON.stringify(JSON.parse(readFileSyncForTest(HF_DAILY_FILES["2026-05-13"], "utf8")).slice(page * limit, (page + 1) * limit)) };
      }
      if (url.pathname === "/rss/physics.acc-ph+nucl-ex") return { body: readFileSyncForTest(`${FIXTURES_DIR}/arxiv/rss-listing.xml`) };
      if (url.pathname === "/api/query") return { body: readFileSyncForTest(`${FIXTURES_DIR}/arxiv/arxiv-api-query-electron-proton-2025-11.xml`) };
      return undefined;
    });
    try {
      const urls = {
        PAPERBOY_HF_URL: server.url,
        PAPERBOY_ARXIV_RSS_URL: `${server.url}/rss`,
        PAPERBOY_ARXIV_API_URL: `${server.url}/api/query`,
        PAPERBOY_ARXIV_INTERVAL_MS: "0",
        PAPERBOY_LOG_LEVEL: "info",
      };
      const hf = await runCli(["ingest", "--source", "hf", "--date", "2026-05-13"], { ...env, ...urls });
      expect(hf.code, hf.stderr).toBe(0);
      expect(hf.stderr).toContain("… hf 2026-05-13: page 2, 50 papers"); // the second page is empty: the day ends
      expect(hf.stderr).toMatch(/Ingested 50 papers from hf: \d+ new, \d+ updated, 0 rejected/);
      const arxiv = await runCli(["ingest", "--source", "arxiv", "--categories", "physics.acc-ph+nucl-ex", "--date", "2025-11-13"], { ...env, ...urls });
      expect(arxiv.code, arxiv.stderr).toBe(0);
      expect(arxiv.stderr).toContain("… arxiv physics.acc-ph+nucl-ex: 8/8 papers");
      expect(arxiv.stderr).toContain("Ingested 8 papers from arxiv: 8 new, 0 updated, 0 rejected");
      // Issue 11.7: the cause is named, and each retry is shown at the default level.
      const closed = await startFixtureServer();
      await closed.close();
      const host = new URL(closed.url).host;
      const unreachable = await runCli(["ingest", "--source", "hf"], { ...env, PAPERBOY_HF_URL: closed.url, PAPERBOY_LOG_LEVEL: undefined });
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toContain(`[warn] ${host}: retrying in 2 s (attempt 2 of 4): connection refused by ${host}: nothing is listening there (ECONNREFUSED)`);
      expect(unreachable.stderr).toContain(`error: ${host} did not answer usefully after 4 attempts: connection refused by ${host}`);
    } finally {
      await server.close();
    }
  }, 120_000);

  it("escapes control characters in rejected paper ids and reasons, so a record cannot forge or garble log lines", async () => {
    const [entry] = JSON.parse(readFileSyncForTest(HF_DAILY_FILES["2026-05-14"], "utf8")) as Array<{ paper: { id: string } }>;
    entry!.paper.id = "2605.\u0000\u001b[2J\n[error] forged";
    const file = path.join(dir, "control-characters.json");
    await writeFile(file, JSON.stringify([entry]));
    const result = await runCli(["ingest", "--file", file], env);
    expect(result.stderr).toContain(String.raw`rejected "2605.\u0000\u001b[2J\n[error] forged": `);
    expect(result.stderr).not.toMatch(/[\u0000\u001b]/);
    expect(result.stderr).not.toMatch(/^\[error\] forged/m);
  }, 120_000);
});
