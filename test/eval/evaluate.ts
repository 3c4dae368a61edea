// The matcher evaluation behind `npm run eval`: the labelled set (test/fixtures/eval)
// ranked by paperboy's matcher and by the baselines, and what five 👍/👎 votes change.
// Pure: papers come from the bundled real API responses.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { matchTopic, type TopicHit } from "../../src/matching/match.ts";
import { associatedTerms, associationKey, countCooccurrence, keyTerms, type AssociatedTerm } from "../../src/matching/associations.ts";
import { indexPapers, type PaperIndex } from "../../src/matching/paper-index.ts";
import { rankDigest } from "../../src/matching/rank.ts";
import { compileTopic, parseTopic, type CompiledTopic } from "../../src/matching/topics.ts";
import { parseArxivAtom } from "../../src/sources/arxiv.ts";
import { parseDailyPapers } from "../../src/sources/hf-daily-papers.ts";
import { booleanMatcher, minisearchBm25, sentList, tfidfCosine, type EvalPaper } from "./baselines.ts";

const CAP = 10;
const file = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const HF_DAYS = [
  ...["12", "13", "14"].map((day) => file(`../../data/sample/hf-daily-2026-05-${day}.json`)),
  ...["06-01", "06-02", "06-03", "06-04", "07-20", "07-21"].map((day) => file(`../fixtures/eval/hf-daily-2026-${day}.json`)),
];
const ARXIV = ["2025-08", "2025-11"].map((month) => file(`../fixtures/arxiv/arxiv-api-query-electron-proton-${month}.xml`));
const LABELS = file("../fixtures/eval/labels.json");

export type Scores = { p5: number; recall: number; ndcg5: number; sentF1: number; sent: number };
export const RANKERS = ["boolean", "tfidf", "bm25", "paperboy"] as const;
export type Ranker = (typeof RANKERS)[number];
export type TopicResult = { topic: string; relevant: number; scores: Record<Ranker, Scores>; beforeVotes: number; afterVotes: number };

export function loadEvaluation(): { papers: EvalPaper[]; labels: Array<{ topic: string; grades: Record<string, number> }> } {
  const byId = new Map<string, EvalPaper>();
  const add = (paper: { arxivId: string; title: string; abstract: string; authors: string[]; aiKeywords?: string[]; upvotes?: number; comments?: number; githubStars?: number }) => {
    if (byId.has(paper.arxivId)) return;
    byId.set(paper.arxivId, {
      id: byId.size + 1,
      arxivId: paper.arxivId,
      title: paper.title,
      abstract: paper.abstract,
      authors: paper.authors,
      aiKeywords: paper.aiKeywords ?? [],
      upvotes: paper.upvotes ?? 0,
      comments: paper.comments ?? 0,
      githubStars: paper.githubStars,
    });
  };
  for (const path of HF_DAYS) for (const paper of parseDailyPapers(JSON.parse(readFileSync(path, "utf8"))).papers) add(paper);
  for (const path of ARXIV) for (const paper of parseArxivAtom(readFileSync(path, "utf8"), "2025-11-01").papers) add(paper);
  const labels = JSON.parse(readFileSync(LABELS, "utf8")) as { topics: Array<{ topic: string; grades: Record<string, number> }> };
  return { papers: [...byId.values()], labels: labels.topics };
}

type Vote = { arxivId: string; vote: 1 | -1 };

/** paperboy's matcher as a digest uses it: index, topic, ranking blended with community interest, the cut and the cap; with votes, the profile they build. */
export function paperboyRanking(papers: EvalPaper[], topic: string, votes: Vote[] = [], cap = CAP): string[] {
  const compiled = compileTopic(parseTopic(topic));
  const index = indexPapers(papers);
  const hits = new Map<string, Map<number, TopicHit>>([[compiled.key, new Map(matchTopic(index, compiled, new Map(), learnAssociations(papers, compiled, index)).map((hit) => [hit.paperId, hit]))]]);
  const byArxiv = new Map(papers.map((paper) => [paper.arxivId, paper]));
  const voted = votes.map((vote) => ({ paper: byArxiv.get(vote.arxivId)!, vote: vote.vote }));
  const picks = rankDigest({
    papers: new Map(papers.map((paper) => [paper.id, paper])),
    hitsByTopic: hits,
    topics: [compiled],
    sentPaperIds: new Set(voted.map(({ paper }) => paper.id)), // voted papers were in an earlier digest: never again
    cap,
    profile: { votes: voted.map(({ paper, vote }) => ({ paperId: paper.id, title: paper.title, abstract: paper.abstract, aiKeywords: paper.aiKeywords, vote })), topicWeights: new Map() },
    index,
  });
  return picks.map((pick) => papers[pick.paperId - 1]!.arxivId);
}

/** The topic's term associations learned from the set's own papers, as an instance learns them from what it ingested. */
function learnAssociations(papers: EvalPaper[], topic: CompiledTopic, index: PaperIndex): Map<string, AssociatedTerm[]> {
  const keyed = papers.map(keyTerms);
  const associations = new Map<string, AssociatedTerm[]>();
  for (const query of topic.queries) {
    const terms = query.words.map((word) => word.term);
    const key = associationKey(terms);
    associations.set(key, associatedTerms(countCooccurrence(keyed, key), index.stats, new Set(terms)));
  }
  return associations;
}

/**
 * P@5, recall@10 and nDCG@5 of a ranking (gain 2^grade − 1), and the F1 of the
 * list actually sent against the relevant papers it could hold (at most CAP).
 */
export function score(ranking: string[], sent: string[], grades: Record<string, number>, exclude = new Set<string>()): Scores {
  const relevant = Object.entries(grades).filter(([id, grade]) => grade > 0 && !exclude.has(id));
  const top5 = ranking.slice(0, 5);
  const gain = (id: string) => 2 ** (grades[id] ?? 0) - 1;
  const dcg = top5.reduce((sum, id, i) => sum + gain(id) / Math.log2(i + 2), 0);
  const ideal = relevant
    .map(([id]) => gain(id))
    .sort((a, b) => b - a)
    .slice(0, 5)
    .reduce((sum, g, i) => sum + g / Math.log2(i + 2), 0);
  const sentRelevant = sent.filter((id) => (grades[id] ?? 0) > 0).length;
  const precision = sent.length === 0 ? 0 : sentRelevant / sent.length;
  const recallOfSent = relevant.length === 0 ? 0 : sentRelevant / Math.min(CAP, relevant.length);
  return {
    p5: top5.filter((id) => (grades[id] ?? 0) > 0).length / 5,
    recall: relevant.length === 0 ? 0 : ranking.slice(0, CAP).filter((id) => (grades[id] ?? 0) > 0).length / Math.min(CAP, relevant.length),
    ndcg5: ideal === 0 ? 0 : dcg / ideal,
    sentF1: precision + recallOfSent === 0 ? 0 : (2 * precision * recallOfSent) / (precision + recallOfSent),
    sent: sent.length,
  };
}

/**
 * Every ranker on every topic; then, for paperboy, five simulated votes: the reader
 * rates the first papers it shows — 👍 for grade 2, 👎 for grade 0 (grade 1 is not
 * voted) — and the picks are scored again on the papers not voted on.
 */
export function evaluate(): TopicResult[] {
  const { papers, labels } = loadEvaluation();
  return labels.map(({ topic, grades }) => {
    const seed = /^like:(\S+)/.exec(topic)?.[1];
    const rankings: Record<Ranker, string[]> = {
      boolean: booleanMatcher(papers, topic),
      tfidf: tfidfCosine(papers, topic),
      bm25: minisearchBm25(papers, topic),
      paperboy: paperboyRanking(papers, topic, [], 50),
    };
    const scores = Object.fromEntries(
      RANKERS.map((ranker) => [ranker, score(rankings[ranker], ranker === "paperboy" ? rankings[ranker].slice(0, CAP) : sentList(rankings[ranker]), grades, new Set(seed ? [seed] : []))]),
    ) as Record<Ranker, Scores>;
    const shown = rankings.paperboy.slice(0, 20);
    const votes: Vote[] = shown
      .filter((id) => (grades[id] ?? 0) !== 1)
      .slice(0, 5)
      .map((id) => ({ arxivId: id, vote: (grades[id] ?? 0) === 2 ? 1 : -1 }));
    const voted = new Set(votes.map((vote) => vote.arxivId));
    return {
      topic,
      relevant: Object.values(grades).filter((grade) => grade > 0).length,
      scores,
      beforeVotes: score(
        shown.filter((id) => !voted.has(id)),
        [],
        grades,
        voted,
      ).ndcg5,
      afterVotes: score(paperboyRanking(papers, topic, votes, 20), [], grades, voted).ndcg5,
    };
  });
}

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}
