import { describe, expect, it } from "vitest";
import { parseDailyPapers } from "../../src/sources/hf-daily-papers.ts";
import { HF_DAILY_FILES, readHfDaily } from "../helpers/fixtures.ts";

const days = Object.keys(HF_DAILY_FILES) as Array<keyof typeof HF_DAILY_FILES>;

describe("parseDailyPapers on recorded responses", () => {
  it.each(days)("keeps every entry of %s, featured on that day", (day) => {
    const entries = readHfDaily(day);
    const { papers, rejected } = parseDailyPapers(entries);
    expect(rejected).toEqual([]);
    expect(papers).toHaveLength(entries.length);
    expect(new Set(papers.map((paper) => paper.featuredOn))).toEqual(new Set([day]));
    papers.forEach((paper, i) => {
      expect(paper.arxivId).toBe(entries[i]!.paper.id);
      expect(paper.upvotes).toBe(entries[i]!.paper.upvotes);
      expect(paper.title).not.toMatch(/\s{2}|\n/);
      expect(paper.authors.length).toBeGreaterThan(0);
    });
  });

  it("reads upvotes and ai_* from inside `paper`, comments and GitHub from where they are", () => {
    const { papers } = parseDailyPapers(readHfDaily("2026-05-14"));
    const anyflow = papers.find((paper) => paper.arxivId === "2605.13724");
    expect(anyflow).toMatchObject({
      title: "AnyFlow: Any-Step Video Diffusion Model with On-Policy Flow Map Distillation",
      upvotes: 62,
      githubUrl: "https://github.com/NVlabs/AnyFlow",
      aiKeywords: expect.arrayContaining(["video generation", "consistency distillation"]),
    });
    expect(anyflow?.aiSummary).toMatch(/^AnyFlow introduces/);
    expect(anyflow?.comments).toBeGreaterThanOrEqual(0);
  });

  it("tolerates the older format without summary, submittedOnDailyAt, githubRepo or ai_*", () => {
    const { papers } = parseDailyPapers(readHfDaily("2024-10-25"));
    for (const paper of papers) {
      expect(paper.aiSummary).toBeUndefined();
      expect(paper.aiKeywords).toEqual([]);
      expect(paper.githubUrl).toBeUndefined();
      expect(paper.abstract.length).toBeGreaterThan(50);
    }
  });

  it("rejects bad records with their reason and keeps the rest", () => {
    const entries: unknown[] = readHfDaily("2026-05-14").slice(0, 4);
    const good = entries.length;
    const copy = (i: number) => structuredClone(entries[i]) as { paper: Record<string, unknown> };
    const noTitle = copy(0);
    delete noTitle.paper.title;
    const badId = copy(1);
    badId.paper.id = "not-an-id";
    const negative = copy(2);
    negative.paper.upvotes = -3;
    const hostileLink = copy(3);
    hostileLink.paper.id = "2605.99999";
    hostileLink.paper.githubRepo = "javascript:alert(1)";
    const { papers, rejected } = parseDailyPapers([...entries, noTitle, badId, negative, copy(0), "junk", hostileLink]);

    expect(papers.map((paper) => paper.arxivId)).toEqual([...(entries as Array<{ paper: { id: string } }>).map((entry) => entry.paper.id), "2605.99999"]);
    expect(papers.at(-1)?.githubUrl).toBeUndefined();
    expect(rejected.map((record) => [record.index, record.reason])).toEqual([
      [good, expect.stringMatching(/^paper\.title/)],
      [good + 1, expect.stringMatching(/^paper\.id is not an arXiv identifier/)],
      [good + 2, expect.stringMatching(/^paper\.upvotes/)],
      [good + 3, expect.stringMatching(/duplicate of an earlier entry for 2605\./)],
      [good + 4, expect.stringMatching(/expected object/)],
    ]);
  });

  it("strips an arXiv version suffix", () => {
    const entry = structuredClone(readHfDaily("2026-05-14")[0]!);
    entry.paper.id = "2605.10616v3";
    expect(parseDailyPapers([entry]).papers[0]?.arxivId).toBe("2605.10616");
  });

  it("throws SOURCE_MALFORMED when the body is not an array", () => {
    expect(() => parseDailyPapers({ error: "rate limited" })).toThrow(/expected a JSON array/);
  });
});

describe("parseDailyPapers text cleaning", () => {
  it("drops control characters (PostgreSQL refuses NUL) and folds white space", () => {
    const entry = structuredClone(readHfDaily("2026-05-14")[0]!);
    entry.paper.title = "A\u0000 title\n  with\tbreaks";
    entry.paper.ai_keywords = [" spaced\u0007 ", ""];
    const [paper] = parseDailyPapers([entry]).papers;
    expect(paper?.title).toBe("A title with breaks");
    expect(paper?.aiKeywords).toEqual(["spaced"]);
  });
});
