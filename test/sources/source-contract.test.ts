// One contract for every Source (JSON file, Hugging Face API, arXiv), each fed a
// recorded real response through a local server: valid, clean papers, no
// duplicates, and ingesting twice changes counts, never the number of papers.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArxivSource } from "../../src/sources/arxiv.ts";
import { createHfSource } from "../../src/sources/hf-api.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { ARXIV_ID } from "../../src/arxiv-id.ts";
import type { Source } from "../../src/sources/source.ts";
import { runTick } from "../../src/digest/tick.ts";
import { silentLog } from "../../src/log.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startFixtureServer, type FixtureServer } from "../helpers/fixture-server.ts";
import { FIXTURES_DIR, HF_DAILY_FILES, readHfDaily } from "../helpers/fixtures.ts";

let server: FixtureServer;
let test: TestDatabase;
const noWait = { sleep: async () => {}, intervalMs: 0 };

beforeAll(async () => {
  test = await createTestDatabase();
  server = await startFixtureServer((url) => {
    if (url.pathname === "/api/daily_papers") return { body: readFileSync(HF_DAILY_FILES["2026-05-14"], "utf8") };
    if (url.pathname === "/rss/physics.acc-ph") return { body: readFileSync(`${FIXTURES_DIR}/arxiv/rss-listing.xml`, "utf8") };
    if (url.pathname === "/api/query") return { body: readFileSync(`${FIXTURES_DIR}/arxiv/arxiv-api-query-electron-proton-2025-11.xml`, "utf8") };
    return undefined;
  });
});
afterAll(async () => {
  await server.close();
  await test.drop();
});

const sources: Record<string, () => Source> = {
  file: () => createJsonFileSource([HF_DAILY_FILES["2026-05-13"]]),
  hf: () => createHfSource({ date: "2026-05-14", baseUrl: server.url, ...noWait }),
  arxiv: () => createArxivSource({ categories: ["physics.acc-ph"], rssBaseUrl: `${server.url}/rss`, apiBaseUrl: `${server.url}/api/query`, ...noWait }),
};

describe.each(Object.keys(sources))("Source contract: %s", (name) => {
  it("yields valid, clean, distinct papers with a listing day", async () => {
    const source = sources[name]!();
    const batch = await source.fetchPapers();
    expect(batch.source).toBe(source.name);
    expect(batch.papers.length).toBeGreaterThan(0);
    expect(new Set(batch.papers.map((paper) => paper.arxivId)).size).toBe(batch.papers.length);
    for (const paper of batch.papers) {
      expect(paper.arxivId).toMatch(ARXIV_ID);
      expect(paper.arxivId).not.toMatch(/v\d+$/);
      expect(paper.title.trim()).toBe(paper.title);
      expect(paper.title).not.toMatch(/[\u0000-\u001f]/);
      expect(paper.abstract.length).toBeGreaterThan(0);
      expect(Array.isArray(paper.authors)).toBe(true);
      expect(paper.featuredOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it("can be ingested twice without duplicating a paper", async () => {
    const first = await ingestBatch(test.db, await sources[name]!().fetchPapers());
    const count = await test.db.paper.count();
    const second = await ingestBatch(test.db, await sources[name]!().fetchPapers());
    expect(second.created).toBe(0);
    expect(second.updated).toBe(first.created + first.updated);
    expect(await test.db.paper.count()).toBe(count);
  });
});

describe("merging sources", () => {
  it("keeps HF's community signals and arXiv's categories for the same paper, whichever comes last", async () => {
    const entry = structuredClone(readHfDaily("2026-05-14")[0]!);
    entry.paper.id = "1309.4668"; // a paper the recorded arXiv answer has
    entry.paper.upvotes = 321;
    server.handle((url) => {
      if (url.pathname === "/api/daily_papers") return { body: JSON.stringify([entry]) };
      if (url.pathname === "/rss/physics.acc-ph") return { body: readFileSync(`${FIXTURES_DIR}/arxiv/rss-listing.xml`, "utf8") };
      if (url.pathname === "/api/query") return { body: readFileSync(`${FIXTURES_DIR}/arxiv/arxiv-api-query-electron-proton-2025-11.xml`, "utf8") };
      return undefined;
    });
    await ingestBatch(test.db, await sources.arxiv!().fetchPapers());
    await ingestBatch(test.db, await sources.hf!().fetchPapers());
    await ingestBatch(test.db, await sources.arxiv!().fetchPapers());
    const paper = await test.db.paper.findUniqueOrThrow({ where: { arxivId: "1309.4668" } });
    expect(paper).toMatchObject({ upvotes: 321, categories: ["physics.acc-ph"], primaryCategory: "physics.acc-ph" });
    expect(paper.aiKeywords.length).toBeGreaterThan(0);
    expect(await test.db.paper.count({ where: { arxivId: "1309.4668" } })).toBe(1);
  });
});

describe("a tick with several sources", () => {
  it("records a failing source, keeps ingesting the others, and reads arXiv once a day", async () => {
    server.handle((url) => {
      if (url.pathname === "/api/daily_papers") return { status: 500 };
      if (url.pathname === "/rss/physics.acc-ph") return { body: readFileSync(`${FIXTURES_DIR}/arxiv/rss-listing.xml`, "utf8") };
      if (url.pathname === "/api/query") return { body: readFileSync(`${FIXTURES_DIR}/arxiv/arxiv-api-query-electron-proton-2025-11.xml`, "utf8") };
      return undefined;
    });
    const tick = () =>
      runTick({
        db: test.db,
        log: silentLog,
        now: () => new Date("2025-11-13T10:00:00Z"),
        sources: [createHfSource({ date: "2025-11-13", baseUrl: server.url, retries: 1, sleep: async () => {} }), sources.arxiv!()],
        enqueue: async () => true,
      });
    const first = await tick();
    expect(first.ingest).toEqual([
      { source: "hf", status: "failed", error: expect.stringContaining("HTTP 500") },
      { source: "arxiv", status: "ok", fetched: 8, created: expect.any(Number), updated: expect.any(Number), rejected: 0 },
    ]);
    const second = await tick();
    expect(second.ingest.map((result) => result.source)).toEqual(["hf"]);
  });
});
