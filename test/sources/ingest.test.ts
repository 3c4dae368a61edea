import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import type { PaperInput } from "../../src/sources/source.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { HF_DAILY_FILES, readHfDaily } from "../helpers/fixtures.ts";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
});
afterAll(async () => {
  await test.drop();
});

const sample = [HF_DAILY_FILES["2026-05-12"], HF_DAILY_FILES["2026-05-13"], HF_DAILY_FILES["2026-05-14"]];

describe("ingestBatch", () => {
  it("creates one row per arXiv id, then updates counts on re-ingest without duplicating", async () => {
    const first = await ingestBatch(test.db, await createJsonFileSource(sample).fetchPapers());
    const distinct = new Set(sample.flatMap((_, i) => readHfDaily((["2026-05-12", "2026-05-13", "2026-05-14"] as const)[i]!).map((entry) => entry.paper.id)));
    expect(first).toMatchObject({ source: "file", fetched: 137, created: distinct.size, updated: 0, rejected: [] });
    expect(await test.db.paper.count()).toBe(distinct.size);

    const bumped = structuredClone(readHfDaily("2026-05-14"));
    bumped[0]!.paper.upvotes = 9999;
    const dir = await mkdtemp(path.join(tmpdir(), "paperboy-ingest-"));
    const file = path.join(dir, "bumped.json");
    await writeFile(file, JSON.stringify(bumped));
    const again = await ingestBatch(test.db, await createJsonFileSource([file]).fetchPapers());
    expect(again).toMatchObject({ created: 0, updated: bumped.length });
    expect(await test.db.paper.count()).toBe(distinct.size);
    const paper = await test.db.paper.findUniqueOrThrow({ where: { arxivId: bumped[0]!.paper.id } });
    expect(paper.upvotes).toBe(9999);
    expect(paper.featuredOn.toISOString().slice(0, 10)).toBe("2026-05-14");
  });

  it("writes nothing when any paper of the batch cannot be stored", async () => {
    const before = await test.db.paper.count();
    const paper = (arxivId: string, title: string): PaperInput => ({
      arxivId,
      title,
      abstract: "a",
      authors: [],
      categories: [],
      aiKeywords: [],
      upvotes: 1,
      comments: 0,
      featuredOn: "2026-05-14",
    });
    const known = (await test.db.paper.findFirstOrThrow()).arxivId;
    // The new paper is inserted first; PostgreSQL then refuses the NUL byte in the known one's update.
    const batch = { source: "file", papers: [paper("2699.00001", "fine"), paper(known, "bad\u0000title")], rejected: [] };
    await expect(ingestBatch(test.db, batch)).rejects.toThrow(/0x00|unsupported Unicode escape/);
    expect(await test.db.paper.count()).toBe(before);
    expect(await test.db.paper.findUnique({ where: { arxivId: "2699.00001" } })).toBeNull();
  });
});

describe("createJsonFileSource", () => {
  it("says which file is unreadable or not JSON", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "paperboy-json-"));
    const broken = path.join(dir, "broken.json");
    await writeFile(broken, '[{"paper": ');
    await expect(createJsonFileSource([path.join(dir, "missing.json")]).fetchPapers()).rejects.toMatchObject({ code: "SOURCE_UNAVAILABLE", message: expect.stringContaining("missing.json") });
    await expect(createJsonFileSource([broken]).fetchPapers()).rejects.toMatchObject({ code: "SOURCE_MALFORMED", message: expect.stringContaining("broken.json is not valid JSON") });
  });
});
