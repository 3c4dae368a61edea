// The matcher evaluation behind `npm run eval`: plain keyword matching against the
// real matcher on a labelled set (test/fixtures/eval-labels.json), and what five
// 👍/👎 votes change. Pure: papers come from the bundled sample files.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { indexPapers, matchTopic, type TopicHit } from "../../src/matching/match.ts";
import { buildTermWeights, paperTerms } from "../../src/matching/profile.ts";
import { rankDigest } from "../../src/matching/rank.ts";
import { compileTopic, parseTopic } from "../../src/matching/topics.ts";
import { parseDailyPapers } from "../../src/sources/hf-daily-papers.ts";

const CAP = 10;
const LABELS = fileURLToPath(new URL("../fixtures/eval-labels.json", import.meta.url));
const SAMPLE = ["12", "13", "14"].map((day) => fileURLToPath(new URL(`../../data/sample/hf-daily-2026-05-${day}.json`, import.meta.url)));

type Paper = { id: number; arxivId: string; title: string; abstract: string; authors: string[]; aiKeywords: string[]; upvotes: number; comments: number; githubStars?: number };
export type Scores = { p5: number; recall: number; ndcg5: number };
export type TopicResult = { topic: string; relevant: number; baseline: Scores; matcher: Scores; beforeVotes: number; afterVotes: number };

export function loadEvaluation() {
  const byId = new Map<string, Paper>();
  for (const file of SAMPLE) {
    for (const paper of parseDailyPapers(JSON.parse(readFileSync(file, "utf8"))).papers) {
      if (!byId.has(paper.arxivId)) {
        byId.set(paper.arxivId, { id: byId.size + 1, arxivId: paper.arxivId, title: paper.title, abstract: paper.abstract, authors: paper.authors, aiKeywords: paper.aiKeywords ?? [], upvotes: paper.upvotes ?? 0, comments: paper.comments ?? 0, githubStars: paper.githubStars });
      }
    }
  }
  const labels = JSON.parse(readFileSync(LABELS, "utf8")) as { topics: Array<{ topic: string; grades: Record<string, number> }> };
  return { papers: [...byId.values()], labels: labels.topics };
}

/** "Plain keyword matching": every word of the topic as a case-insensitive substring of title, abstract or keywords; most upvoted first. */
export function keywordBaseline(papers: Paper[], topic: string): string[] {
  const words = topic.toLowerCase().replace(/"/g, "").split(/\s+/).filter(Boolean);
  return papers
    .filter((paper) => words.every((word) => `${paper.title} ${paper.abstract} ${paper.aiKeywords.join(" ")}`.toLowerCase().includes(word)))
    .sort((a, b) => b.upvotes - a.upvotes)
    .map((paper) => paper.arxivId);
}

/** The real matcher (index, topic compiled with synonyms, ranked with community interest), optionally with votes. */
export function matcherRanking(papers: Paper[], topic: string, votes: Array<{ arxivId: string; vote: number }> = [], cap = CAP): string[] {
  const compiled = compileTopic(parseTopic(topic));
  const index = indexPapers(papers);
  const hits = new Map<string, Map<number, TopicHit>>([[compiled.key, new Map(matchTopic(index, compiled).map((hit) => [hit.paperId, hit]))]]);
  const byArxiv = new Map(papers.map((paper) => [paper.arxivId, paper]));
  const voted = new Set(votes.map((vote) => byArxiv.get(vote.arxivId)?.id ?? 0));
  const terms = buildTermWeights(votes.map((vote) => ({ text: `${byArxiv.get(vote.arxivId)?.title ?? ""} ${(byArxiv.get(vote.arxivId)?.aiKeywords ?? []).join(" ")}`, vote: vote.vote })));
  const picks = rankDigest({
    papers: new Map(papers.map((paper) => [paper.id, paper])),
    hitsByTopic: hits,
    topics: [compiled],
    sentPaperIds: voted, // voted papers were in an earlier digest: never again
    cap,
    profile: { terms, topicWeights: new Map() },
    termsOf: (id) => paperTerms(papers[id - 1]!),
  });
  return picks.map((pick) => papers[pick.paperId - 1]!.arxivId);
}

export function score(ranking: string[], grades: Record<string, number>, exclude = new Set<string>()): Scores {
  const relevant = Object.entries(grades).filter(([id, grade]) => grade > 0 && !exclude.has(id));
  const top5 = ranking.slice(0, 5);
  const gain = (id: string) => 2 ** (grades[id] ?? 0) - 1;
  const dcg = top5.reduce((sum, id, i) => sum + gain(id) / Math.log2(i + 2), 0);
  const ideal = relevant.map(([id]) => gain(id)).sort((a, b) => b - a).slice(0, 5).reduce((sum, g, i) => sum + g / Math.log2(i + 2), 0);
  return {
    p5: top5.filter((id) => (grades[id] ?? 0) > 0).length / 5,
    recall: relevant.length === 0 ? 0 : ranking.slice(0, CAP).filter((id) => (grades[id] ?? 0) > 0).length / relevant.length,
    ndcg5: ideal === 0 ? 0 : dcg / ideal,
  };
}

/**
 * Five simulated votes: the reader rates the first papers the matcher shows —
 * 👍 for grade 2, 👎 for grade 0 (grade 1 is not voted). Scored on the papers not voted on.
 */
export function evaluate(): TopicResult[] {
  const { papers, labels } = loadEvaluation();
  return labels.map(({ topic, grades }) => {
    const shown = matcherRanking(papers, topic, [], 20);
    const votes = shown.filter((id) => (grades[id] ?? 0) !== 1).slice(0, 5).map((id) => ({ arxivId: id, vote: (grades[id] ?? 0) === 2 ? 1 : -1 }));
    const voted = new Set(votes.map((vote) => vote.arxivId));
    const unvoted = shown.filter((id) => !voted.has(id));
    return {
      topic,
      relevant: Object.values(grades).filter((grade) => grade > 0).length,
      baseline: score(keywordBaseline(papers, topic), grades),
      matcher: score(matcherRanking(papers, topic), grades),
      beforeVotes: score(unvoted, grades, voted).ndcg5,
      afterVotes: score(matcherRanking(papers, topic, votes), grades, voted).ndcg5,
    };
  });
}

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}
