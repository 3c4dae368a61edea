// `paperboy subscribers seed` as a user runs it: a child process, a real database,
// and arXiv's recorded id_list answer served from a local HTTP server.
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.ts";
import { FIXTURES_DIR, HF_DAILY_FILES } from "../helpers/fixtures.ts";
import { runCli } from "../helpers/run-cli.ts";

const SEED = `${FIXTURES_DIR}/seed`;
const ID_LIST = readFileSync(`${FIXTURES_DIR}/arxiv/arxiv-api-idlist-2025-11.xml`, "utf8");

let test: TestDatabase;
let arxiv: FixtureServer;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  test = await createTestDatabase();
  arxiv = await startFixtureServer((url) => (url.pathname === "/api/query" ? { headers: { "content-type": "application/atom+xml" }, body: ID_LIST } : undefined));
  dir = await mkdtemp(path.join(tmpdir(), "paperboy-seed-"));
  env = { DATABASE_URL: test.url, PAPERBOY_DATA_DIR: dir, PAPERBOY_SECRET: "cli-seed-secret".padEnd(40, "z"), PAPERBOY_SOURCES: "none" };
  const ingest = await runCli(["ingest", "--file", HF_DAILY_FILES["2026-05-12"], HF_DAILY_FILES["2026-05-13"], HF_DAILY_FILES["2026-05-14"]], env);
  expect(ingest.code).toBe(0);
  expect((await runCli(["subscribers", "add", "ada@example.org"], env)).code).toBe(0);
});
afterAll(async () => {
  await test.drop();
  await arxiv.close();
});

const likeTopics = async () =>
  (await test.db.subscriberTopic.findMany({ where: { subscriber: { email: "ada@example.org" } }, include: { topic: true }, orderBy: { createdAt: "asc" } }))
    .filter((link) => link.topic.kind === "like")
    .map((link) => link.topic.query);

describe("paperboy subscribers seed", () => {
  it("adds a Mendeley export's papers as like: topics, and the preview brings papers like them", async () => {
    const seed = await runCli(["subscribers", "seed", "ada@example.org", `${SEED}/mendeley.bib`], env);
    expect(seed.stderr).toBe("");
    expect(seed.code).toBe(0);
    expect(seed.stdout).toContain("ada@example.org: added 3 papers as topics\n");
    expect(seed.stdout).toContain("  + like:2605.10899  RubricEM: Meta-RL with Rubric-guided Policy Decomposition beyond Verifiable Rewards");
    expect(await likeTopics()).toEqual(["2605.10899", "2605.09063", "2605.12357"]);

    const preview = await runCli(["preview", "ada@example.org", "--date", "2026-05-14", "--json"], env);
    expect(preview.code).toBe(0);
    const picks: Array<{ reason: string }> = JSON.parse(preview.stdout).picks;
    expect(picks.length).toBeGreaterThan(0);
    expect(picks.every((pick) => /papers like “/.test(pick.reason))).toBe(true);
  });

  it("without an arXiv source, reports the papers not ingested and the lines that are no id", async () => {
    const seed = await runCli(["subscribers", "seed", "ada@example.org", `${SEED}/ids.txt`], env);
    expect(seed.code).toBe(0);
    expect(seed.stdout).toContain("added 2 papers as topics");
    expect(seed.stdout).toContain("Already followed: 2605.12357, 2605.10899, 2605.09063");
    expect(seed.stdout).toContain("3 entries could not be used:");
    expect(seed.stdout).toContain('  - line 10 ("see my notes"): names no arXiv paper');
    expect(seed.stdout).toContain("  - 2201.13452: not ingested yet and no arXiv source is configured to fetch it");
    expect(arxiv.requests).toHaveLength(0);
  });

  it("with an arXiv source, fetches the missing papers in one id_list request and reports what arXiv did not return", async () => {
    const withArxiv = { ...env, PAPERBOY_SOURCES: "arxiv:math.AP", PAPERBOY_ARXIV_API_URL: `${arxiv.url}/api/query`, PAPERBOY_ARXIV_INTERVAL_MS: "0" };
    const seed = await runCli(["subscribers", "seed", "ada@example.org", `${SEED}/ids.txt`], withArxiv);
    expect(seed.code).toBe(0);
    expect(seed.stdout).toContain("added 1 paper as topics (1 fetched from arXiv)");
    expect(seed.stdout).toContain("  + like:2201.13452  Asymptotic Analysis for a Nonlinear Reaction-Diffusion System Modeling an Infectious Disease");
    expect(seed.stdout).toContain("  - 2201.13455: arXiv has no paper with this id");
    expect(arxiv.requests.map((request) => request.path)).toEqual(["/api/query?id_list=2201.13452,2201.13455&max_results=2"]);
    expect(await likeTopics()).toContain("2201.13452");
  });

  it("subscribers add --topic like:… warns when the paper cannot be fetched (no arXiv source)", async () => {
    const add = await runCli(["subscribers", "add", "bob@example.org", "--topic", "like:https://arxiv.org/abs/2201.13455v1"], { ...env, PAPERBOY_LOG_LEVEL: "info" });
    expect(add.code).toBe(0);
    expect(add.stdout).toContain("topics: like:2201.13455");
    expect(add.stderr).toContain("like:2201.13455 matches nothing until its paper is ingested: not ingested yet and no arXiv source is configured to fetch it");
  });

  it.each([
    [["subscribers", "seed", "not-an-email", `${SEED}/ids.txt`], 2, /error: "not-an-email" is not a valid email address/],
    [["subscribers", "seed", "ada@example.org"], 2, /error: missing required argument 'file'/],
    [["subscribers", "seed", "nobody@example.org", `${SEED}/ids.txt`], 1, /error: no subscriber with address nobody@example\.org/],
    [["subscribers", "seed", "ada@example.org", `${SEED}/missing.bib`], 4, /error: cannot read .*missing\.bib: /],
  ])("%j exits %i", async (args, code, message) => {
    const result = await runCli(args, env);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(code);
  });

  it("exits 4 naming the problem when the file is in no known format, and changes nothing", async () => {
    const before = await likeTopics();
    const letter = path.join(dir, "letter.txt");
    await writeFile(letter, "Dear reader,\nplease find my papers attached.\n");
    const result = await runCli(["subscribers", "seed", "ada@example.org", letter], env);
    expect(result.stderr).toContain(`error: ${letter}: line 1 is neither BibTeX, RIS, CSL-JSON nor an arXiv id or URL: "Dear reader,"`);
    expect(result.code).toBe(4);
    expect(await likeTopics()).toEqual(before);
  });
});
