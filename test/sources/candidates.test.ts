import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCandidates } from "../../src/sources/candidates.ts";
import { pickPapers } from "../../src/matching/candidates.ts";
import { rankDigest } from "../../src/matching/rank.ts";
import { compileTopic, parseTopic } from "../../src/matching/topics.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

const DAY = "2026-05-14";
const WORDS = ["planning", "memory", "tools", "search", "vision", "speech", "robots", "games", "code", "math"];
let test: TestDatabase;

beforeAll(async () => {
  test = await createTestDatabase();
  // 120 papers about agents, none a near-duplicate of another, with different upvotes.
  const papers = Array.from({ length: 120 }, (_, i) => ({
    arxivId: `2605.${String(10000 + i)}`,
    title: `Agents with ${WORDS[i % 10]} and ${WORDS[Math.floor(i / 10) % 10]} study ${i}`,
    abstract: "We study agents.",
    authors: ["A. Author"],
    upvotes: (i * 37) % 101,
    featuredOn: DAY,
  }));
  await ingestBatch(test.db, { source: "file", papers, rejected: [] });
});
afterAll(async () => {
  await test.drop();
});

const agents = { topics: [parseTopic("agents")], maxPapers: 10 };

describe("corpus statistics", () => {
  it("counts every ingested paper once, so rarity comes from the whole corpus and not from one day", async () => {
    const counted = await test.db.termFrequency.findUnique({ where: { term: "agent" } });
    expect(counted?.papers).toBe(120);
    expect((await test.db.termFrequency.findUnique({ where: { term: "robot" } }))?.papers).toBe(21); // "robots" first or second in 21 titles
    // A re-ingest of the same papers counts nothing again.
    const again = await test.db.paper.findMany({ take: 3 });
    await ingestBatch(test.db, {
      source: "file",
      papers: again.map((paper) => ({ arxivId: paper.arxivId, title: paper.title, abstract: paper.abstract, authors: paper.authors, featuredOn: DAY })),
      rejected: [],
    });
    expect((await test.db.termFrequency.findUnique({ where: { term: "agent" } }))?.papers).toBe(120);
    const candidates = await loadCandidates(test.db, { since: DAY, until: DAY }, [parseTopic("agents")]);
    expect(candidates.index.stats.papers).toBe(120);
    expect(candidates.index.stats.df.get("agent")).toBe(120);
  });
});

describe("pickPapers", () => {
  it("shares one ranking between subscribers with the same topics, and gives each the same picks as ranking alone would", async () => {
    const candidates = await loadCandidates(test.db, { since: DAY, until: DAY }, []);
    const first = pickPapers(candidates, agents, new Set());
    const second = pickPapers(candidates, { ...agents, maxPapers: 5 }, new Set());
    expect(candidates.rankings.size).toBe(1);
    expect(second).toEqual(first.slice(0, 5));
    const alone = rankDigest({ papers: candidates.papers, hitsByTopic: candidates.hitsByTopic, topics: [compileTopic(parseTopic("agents"))], sentPaperIds: new Set(), cap: 10 });
    expect(first.map(({ paper: _paper, ...pick }) => pick)).toEqual(alone);
    expect(first.every((pick) => pick.paper === candidates.papers.get(pick.paperId))).toBe(true);
    pickPapers(candidates, { ...agents, popularity: "trending" }, new Set());
    expect(candidates.rankings.size).toBe(2);
  });

  it("ranks in full when the papers already sent use up the shared part of the ranking", async () => {
    const candidates = await loadCandidates(test.db, { since: DAY, until: DAY }, []);
    const everything = pickPapers(candidates, { ...agents, maxPapers: 50 }, new Set());
    const all = rankDigest({ papers: candidates.papers, hitsByTopic: candidates.hitsByTopic, topics: [compileTopic(parseTopic("agents"))], sentPaperIds: new Set(), cap: 120 });
    expect(all).toHaveLength(120);
    const sent = new Set(all.slice(0, 100).map((pick) => pick.paperId));
    const rest = pickPapers(candidates, agents, sent);
    expect(rest.map((pick) => pick.paperId)).toEqual(all.slice(100, 110).map((pick) => pick.paperId));
    expect(everything.map((pick) => pick.paperId)).toEqual(all.slice(0, 50).map((pick) => pick.paperId));
  });

  it("ranks a subscriber with feedback on their own", async () => {
    const candidates = await loadCandidates(test.db, { since: DAY, until: DAY }, []);
    const liked = [...candidates.papers.values()].find((paper) => paper.title.startsWith("Agents with robots and games"))!;
    const profile = { votes: [{ paperId: liked.id, title: liked.title, abstract: liked.abstract, aiKeywords: liked.aiKeywords, vote: 1 }], topicWeights: new Map() };
    const picks = pickPapers(candidates, agents, new Set(), profile);
    expect(candidates.rankings.size).toBe(0);
    expect(picks.slice(0, 3).map((pick) => pick.paper.title)).toEqual(expect.arrayContaining([expect.stringMatching(/robots/)]));
    const plain = pickPapers(candidates, agents, new Set());
    expect(plain.filter((pick) => pick.paper.title.includes("robots")).length).toBeLessThan(picks.filter((pick) => pick.paper.title.includes("robots")).length);
  });
});
