// Term associations end to end: key terms stored at ingest, co-occurrence counted
// by the database, and a window paper found by words the topic's papers in history use.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCandidates } from "../../src/sources/candidates.ts";
import { pickPapers } from "../../src/matching/candidates.ts";
import { keyTerms } from "../../src/matching/associations.ts";
import { matchTopic } from "../../src/matching/match.ts";
import { compileTopic, parseTopic } from "../../src/matching/topics.ts";
import { addSubscriber } from "../../src/subscriptions/store.ts";
import { loadAssociations } from "../../src/sources/term-associations.ts";
import { ingestBatch } from "../../src/sources/ingest.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

const DAY = "2026-05-14";
const SUBJECTS = ["protein folding", "speech synthesis", "image segmentation", "code review", "weather forecasting", "music generation", "machine translation", "theorem proving"];
let test: TestDatabase;

beforeAll(async () => {
  test = await createTestDatabase();
  // History: papers about graph neural networks say "message passing" and "node"; papers on other subjects do not.
  const gnn = Array.from({ length: 12 }, (_, i) => ({
    arxivId: `2604.${String(20000 + i)}`,
    title: `Graph neural networks for ${SUBJECTS[i % SUBJECTS.length]}`,
    abstract: `We train graph neural networks whose layers use message passing between each node and its neighbours. Message passing updates every node state; study ${i}.`,
    authors: ["A. Author"],
    featuredOn: `2026-04-${String(10 + i)}`,
  }));
  const others = Array.from({ length: 40 }, (_, i) => ({
    arxivId: `2604.${String(30000 + i)}`,
    title: `A benchmark for ${SUBJECTS[i % SUBJECTS.length]} number ${i}`,
    abstract: `We evaluate models for ${SUBJECTS[i % SUBJECTS.length]} on a new benchmark and report accuracy; experiment ${i}.`,
    authors: ["B. Author"],
    featuredOn: `2026-04-${String(10 + (i % 15))}`,
  }));
  // The window: one paper says the same thing in other words, one is about something else.
  const today = [
    {
      arxivId: "2605.40001",
      title: "Faster message passing over node embeddings",
      abstract: "Message passing dominates the cost; we cache node states so that message passing runs twice as fast.",
      authors: ["C. Author"],
      featuredOn: DAY,
    },
    { arxivId: "2605.40002", title: "Sparse attention for long documents", abstract: "We make attention sparse for long documents and keep accuracy.", authors: ["D. Author"], featuredOn: DAY },
  ];
  await ingestBatch(test.db, { source: "file", papers: [...gnn, ...others], rejected: [] });
  await ingestBatch(test.db, { source: "file", papers: today, rejected: [] });
});
afterAll(async () => {
  await test.drop();
});

describe("term associations", () => {
  it("keeps each paper's key terms at ingest and counts their co-occurrence with a topic's words", async () => {
    const stored = await test.db.paper.findUniqueOrThrow({ where: { arxivId: "2604.20000" } });
    expect(stored.keyTerms).toEqual(keyTerms(stored));
    expect(stored.keyTerms).toEqual(expect.arrayContaining(["graph", "neural", "network", "messag", "pass", "node", "protein"]));
    const associated = (await loadAssociations(test.db, ["graph network neural"])).get("graph network neural")!;
    expect(associated.map((entry) => entry.term).sort()).toEqual(["messag", "node", "pass"]); // not "protein": in one or two of the twelve only
    // Worked out once, then read back.
    const kept = await test.db.termAssociation.findUniqueOrThrow({ where: { key: "graph network neural" } });
    expect(kept.terms).toEqual(associated);
  });

  it("finds a paper by the words the topic's papers use, says so, and does not without them", async () => {
    const topic = parseTopic("graph neural networks");
    const candidates = await loadCandidates(test.db, { since: DAY, until: DAY }, [topic]);
    const association = candidates.associations.get("graph network neural");
    expect(association?.map((entry) => entry.term)).toEqual(expect.arrayContaining(["messag", "pass", "node"]));
    const target = [...candidates.papers.values()].find((paper) => paper.arxivId === "2605.40001")!;
    const picks = pickPapers(candidates, { topics: [topic], maxPapers: 5 }, new Set());
    expect(picks.map((pick) => pick.paperId)).toEqual([target.id]);
    expect(picks[0]!.reason).toMatch(/related words “message”|related words “passing”|related words “node”/);
    // The same match without the associations: the paper has none of the topic's words.
    const alone = matchTopic(candidates.index, compileTopic(topic));
    expect(alone.map((hit) => hit.paperId)).not.toContain(target.id);
  });

  it("refreshes a subscribed topic's associations when an ingest brings papers with all of its words, and only then", async () => {
    await addSubscriber(test.db, { email: "gnn@example.org", topics: ["graph neural networks"], maxPapers: 5, source: "cli" }, new Date());
    const before = await test.db.termAssociation.findUniqueOrThrow({ where: { key: "graph network neural" } });
    const readout = Array.from({ length: 6 }, (_, i) => ({
      arxivId: `2604.${String(21000 + i)}`,
      title: `Graph neural networks with a learned readout ${i}`,
      abstract: "The readout pools node states; a better readout helps graph neural networks.",
      authors: ["E. Author"],
      featuredOn: "2026-04-30",
    }));
    await ingestBatch(test.db, { source: "file", papers: readout, rejected: [] });
    const after = await test.db.termAssociation.findUniqueOrThrow({ where: { key: "graph network neural" } });
    expect((after.terms as Array<{ term: string }>).map((entry) => entry.term)).toContain("readout");
    expect(after.computedAt.getTime()).toBeGreaterThan(before.computedAt.getTime());
    await ingestBatch(test.db, {
      source: "file",
      papers: [{ arxivId: "2604.22000", title: "Speech synthesis at scale", abstract: "We synthesise speech.", authors: ["F. Author"], featuredOn: "2026-04-30" }],
      rejected: [],
    });
    expect((await test.db.termAssociation.findUniqueOrThrow({ where: { key: "graph network neural" } })).computedAt).toEqual(after.computedAt);
  });
});
