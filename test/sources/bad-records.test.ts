// One bad record among good ones, through the real file source, ingest and
// database: the database must never see what it would refuse (issue 12, item 6),
// and no field reaches it unbounded (item 5).
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderDigest } from "../../src/rendering/render-digest.ts";
import { loadTemplates } from "../../src/rendering/templates.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createJsonFileSource } from "../../src/sources/json-file.ts";
import { LIMITS } from "../../src/sources/source.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { readHfDaily, type HfEntry } from "../helpers/fixtures.ts";

let test: TestDatabase;
beforeAll(async () => {
  test = await createTestDatabase();
});
afterAll(async () => {
  await test.drop();
});

const MB = 1_000_000;
let batchNumber = 0;

/** Three real entries under fresh ids, the second one changed by `spoil`; ingested from a file. */
async function ingestThree(spoil: (entry: HfEntry) => void) {
  const prefix = `27${String(10 + batchNumber++).padStart(2, "0")}`;
  const entries = structuredClone(readHfDaily("2026-05-14").slice(0, 3));
  entries.forEach((entry, i) => (entry.paper.id = `${prefix}.0000${i}`));
  spoil(entries[1]!);
  const dir = await mkdtemp(path.join(tmpdir(), "paperboy-bad-"));
  const file = path.join(dir, "batch.json");
  await writeFile(file, JSON.stringify(entries));
  const result = await ingestBatch(test.db, await createJsonFileSource([file]).fetchPapers());
  const rows = await test.db.paper.findMany({ where: { arxivId: { startsWith: `${prefix}.` } }, orderBy: { arxivId: "asc" } });
  return { result, rows, spoiled: entries[1]!.paper.id };
}

describe("one bad record in a batch of three", () => {
  it.each([
    ["a year-10000 publishedAt", (entry: HfEntry) => (entry.paper.publishedAt = "+010000-01-01T00:00:00.000Z"), /paper\.publishedAt is outside the years 0001–9999/],
    ["a year-10000 listing time", (entry: HfEntry) => (entry.paper.submittedOnDailyAt = "+010000-05-14T00:00:00.000Z"), /paper\.submittedOnDailyAt is outside the years 0001–9999/],
    ["a 1 MB abstract", (entry: HfEntry) => (entry.paper.summary = "word ".repeat(MB / 5)), /paper\.summary is longer than 20000 characters/],
    ["a 1 MB title", (entry: HfEntry) => (entry.paper.title = "x".repeat(MB)), /paper\.title is longer than 1000 characters/],
    ["upvotes past the int4 column", (entry: HfEntry) => (entry.paper.upvotes = 2 ** 31), /paper\.upvotes is too large/],
  ])("%s: the record is rejected with its reason, the other two are written", async (_, spoil, reason) => {
    const { result, rows, spoiled } = await ingestThree(spoil);
    expect(result).toMatchObject({ fetched: 2, created: 2, rejected: [{ index: 1, id: spoiled, reason: expect.stringMatching(reason) }] });
    expect(rows.map((row) => row.arxivId)).not.toContain(spoiled);
    expect(rows).toHaveLength(2);
  });

  it.each([
    ["a lone high surrogate in the title", (entry: HfEntry) => (entry.paper.title = "Lone \uD800surrogate title")],
    ["a lone low surrogate in an author", (entry: HfEntry) => ((entry.paper.authors as Array<{ name: string }>)[0]!.name = "Ada \uDC00Lovelace")],
    ["a NUL in the AI summary", (entry: HfEntry) => (entry.paper.ai_summary = "An AI\u0000 summary.")],
  ])("%s: the character is dropped and all three are written", async (_, spoil) => {
    const { result, rows, spoiled } = await ingestThree(spoil);
    expect(result).toMatchObject({ fetched: 3, created: 3, rejected: [] });
    const row = rows.find((candidate) => candidate.arxivId === spoiled)!;
    const stored = [row.title, row.aiSummary ?? "", ...row.authors].join(" ");
    expect(stored).not.toMatch(/[\u0000\uD800-\uDFFF]/);
    expect(stored).toMatch(/Lone surrogate title|Ada Lovelace|An AI summary\./);
  });
});

describe("1 MB fields", () => {
  it("are cut at ingest and summarised from their opening", async () => {
    const { result, rows, spoiled } = await ingestThree((entry) => {
      entry.paper.ai_summary = `Qwen-Image-2.0 is a model. ${"lorem ipsum ".repeat(MB / 12)}`;
      entry.paper.ai_keywords = Array.from({ length: 100_000 }, (_, i) => `keyword ${i}`).concat(["k".repeat(MB)]);
      entry.paper.authors = Array.from({ length: 100_000 }, (_, i) => ({ name: `Author ${i} ${"x".repeat(i === 0 ? MB : 0)}` }));
      entry.paper.githubRepo = `https://github.com/${"a".repeat(MB)}`;
    });
    expect(result).toMatchObject({ created: 3, rejected: [] });
    const row = rows.find((candidate) => candidate.arxivId === spoiled)!;
    expect(row.aiSummary!.length).toBeGreaterThan(LIMITS.aiSummary - 20);
    expect(row.aiSummary!.length).toBeLessThanOrEqual(LIMITS.aiSummary);
    expect(row.aiSummary).toMatch(/^Qwen-Image-2\.0 is a model\. lorem ipsum .*ipsum…$/);
    expect(row.aiKeywords).toHaveLength(LIMITS.keywords);
    expect(row.authors).toHaveLength(LIMITS.authors);
    expect(row.authors[0]!.length).toBeLessThanOrEqual(LIMITS.authorName);
    expect(row.githubUrl).toBeNull();

    const email = renderDigest(await loadTemplates(), {
      listName: "paperboy",
      email: "ada@example.org",
      date: "2026-05-14",
      topics: [],
      personal: false,
      papers: [{ paper: { ...row, abstract: "x".repeat(MB) }, reason: "Trending" }],
      manageUrl: "https://paperboy.example/manage",
      unsubscribeUrl: "https://paperboy.example/unsubscribe",
    });
    expect(email.text).toContain("Qwen-Image-2.0 is a model.\n");
    expect(email.text.length).toBeLessThan(5_000);
  });
});
