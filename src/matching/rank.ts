// Builds one subscriber's digest from the topic hits of a run (pure).
import type { Field, TopicHit } from "./match.ts";
import { affinity, type Profile } from "./profile.ts";
import { splitWords } from "./tokens.ts";
import type { CompiledTopic } from "./topics.ts";

export type RankablePaper = { id: number; arxivId: string; upvotes: number; comments: number; githubStars?: number | null; title?: string };

export type Pick = {
  paperId: number;
  /** Final score used for ordering, 0..1. */
  score: number;
  /** Topic relevance, 0..1 (0 for trending picks). */
  relevance: number;
  /** One line saying why the paper is in the digest. */
  reason: string;
};

export type RankOptions = {
  /** Papers in the candidate window, by id. */
  papers: Map<number, RankablePaper>;
  /** Hits of every distinct topic of the run, by topic key. */
  hitsByTopic: Map<string, Map<number, TopicHit>>;
  /** The subscriber's topics; none means the plain trending list. */
  topics: CompiledTopic[];
  /** Papers already sent to this subscriber. */
  sentPaperIds: ReadonlySet<number>;
  cap: number;
  /** Share of the score given to community interest (upvotes, comments). */
  communityWeight?: number;
  /** What the subscriber's feedback taught (term weights, topic weights). */
  profile?: Profile;
  /** A paper's terms for the profile (title and keywords). */
  termsOf?: (paperId: number) => string[];
};

/** How far feedback can move a paper's score (scores are 0..1). */
const FEEDBACK_WEIGHT = 0.25;

const DEFAULT_COMMUNITY_WEIGHT = 0.3;
/** Share of the score community interest gets, per the subscriber's "niche ↔ trending" choice. */
export const COMMUNITY_WEIGHTS: Record<string, number> = { niche: 0.1, balanced: DEFAULT_COMMUNITY_WEIGHT, trending: 0.6 };
/** Topic matches weaker than this are not padded in (e.g. one passing mention of a topic counted less). */
export const MIN_RELEVANCE = 0.15;
const EXTRA_TOPIC_BONUS = 0.1;
const FIELD_NAMES: Record<Field, string> = { title: "title", keywords: "keywords", abstract: "abstract", authors: "authors", categories: "categories" };

/**
 * Ranks the subscriber's matching papers by relevance blended with community
 * interest, drops those already sent or matching an exclusion, and keeps at most
 * `cap`. Without (non-exclusion) topics: the trending list. Ties go to more
 * upvotes, then the smaller arXiv id, so the order is stable.
 */
export function rankDigest(options: RankOptions): Pick[] {
  const { papers, sentPaperIds, cap, hitsByTopic } = options;
  const weight = options.communityWeight ?? DEFAULT_COMMUNITY_WEIGHT;
  const interest = communityScale(papers);
  const topics = options.topics.filter((topic) => topic.kind !== "exclude");
  const excluded = new Set(options.topics.filter((topic) => topic.kind === "exclude").flatMap((topic) => [...(hitsByTopic.get(topic.key)?.keys() ?? [])]));
  const unwanted = (paperId: number) => sentPaperIds.has(paperId) || excluded.has(paperId);
  const picks: Array<Pick & { paper: RankablePaper }> = [];
  const profile = options.profile;
  const learned = (paperId: number) => (profile && options.termsOf ? FEEDBACK_WEIGHT * affinity(profile.terms, options.termsOf(paperId)) : 0);
  const topicWeight = (topic: CompiledTopic) => profile?.topicWeights.get(topic.key) ?? 1;

  if (topics.length === 0) {
    for (const paper of papers.values()) {
      if (unwanted(paper.id)) continue;
      picks.push({ paper, paperId: paper.id, relevance: 0, score: interest(paper) + learned(paper.id), reason: trendingReason(paper) });
    }
  } else {
    for (const [paperId, matched] of collectMatches(topics, hitsByTopic)) {
      const paper = papers.get(paperId);
      if (!paper || unwanted(paperId)) continue;
      const best = Math.max(...matched.map(({ topic, hit }) => hit.relevance * topicWeight(topic)));
      const relevance = Math.min(1, best + EXTRA_TOPIC_BONUS * (matched.length - 1));
      if (relevance < MIN_RELEVANCE) continue;
      const score = (1 - weight) * relevance + weight * interest(paper) + learned(paperId);
      picks.push({ paper, paperId, relevance, score, reason: matchReason(matched) });
    }
  }

  picks.sort((a, b) => b.score - a.score || b.paper.upvotes - a.paper.upvotes || a.paper.arxivId.localeCompare(b.paper.arxivId));
  return collapseNearDuplicates(picks)
    .slice(0, cap)
    .map(({ paper: _, ...pick }) => pick);
}

/**
 * Keeps the best-ranked of papers whose titles are nearly the same (a paper and its
 * re-submission, or two versions listed under different ids).
 */
function collapseNearDuplicates<T extends { paper: RankablePaper }>(ranked: T[]): T[] {
  const kept: Array<{ pick: T; words: Set<string> }> = [];
  for (const pick of ranked) {
    const words = new Set(splitWords(pick.paper.title ?? ""));
    const duplicate = words.size >= 4 && kept.some((other) => jaccard(words, other.words) >= 0.85);
    if (!duplicate) kept.push({ pick, words });
  }
  return kept.map((entry) => entry.pick);
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const word of a) if (b.has(word)) shared++;
  return shared / (a.size + b.size - shared);
}

type Matched = { topic: CompiledTopic; hit: TopicHit };

function collectMatches(topics: CompiledTopic[], hitsByTopic: RankOptions["hitsByTopic"]): Map<number, Matched[]> {
  const byPaper = new Map<number, Matched[]>();
  for (const topic of topics) {
    for (const hit of hitsByTopic.get(topic.key)?.values() ?? []) {
      const list = byPaper.get(hit.paperId) ?? [];
      list.push({ topic, hit });
      byPaper.set(hit.paperId, list);
    }
  }
  return byPaper;
}

/** Log-scaled upvotes, plus a little for comments and GitHub stars, relative to the busiest paper of the window. */
function communityScale(papers: Map<number, RankablePaper>): (paper: RankablePaper) => number {
  const raw = (paper: RankablePaper) => Math.log1p(paper.upvotes) + 0.25 * Math.log1p(paper.comments) + 0.15 * Math.log1p(paper.githubStars ?? 0);
  const max = Math.max(0, ...[...papers.values()].map(raw));
  return (paper) => (max === 0 ? 0 : raw(paper) / max);
}

function matchReason(matched: Matched[]): string {
  const strongest = [...matched].sort((a, b) => b.hit.relevance - a.hit.relevance);
  const parts = strongest.slice(0, 2).map(({ topic, hit }) => {
    const via = hit.via.length > 0 ? ` as ${hit.via.slice(0, 2).map((words) => `“${words}”`).join(" and ")}` : "";
    return `${quote(topic.label)}${via} in the ${listFields(hit.fields)}`;
  });
  const more = strongest.length > 2 ? ` (+${strongest.length - 2} more topics)` : "";
  return `Matched ${parts.join("; ")}${more}`;
}

function trendingReason(paper: RankablePaper): string {
  return `Trending: ${paper.upvotes} upvote${paper.upvotes === 1 ? "" : "s"}${paper.comments > 0 ? `, ${paper.comments} comment${paper.comments === 1 ? "" : "s"}` : ""}`;
}

function quote(label: string): string {
  return `“${label.replace(/^"(.*)"$/, "$1")}”`;
}

function listFields(fields: Field[]): string {
  const names = fields.map((field) => FIELD_NAMES[field]);
  return names.length <= 1 ? (names[0] ?? "text") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}
