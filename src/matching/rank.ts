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
  sentPaperIds: PaperSet;
  cap: number;
  /** Share of the score given to community interest (upvotes, comments). */
  communityWeight?: number;
  /** What the subscriber's feedback taught (term weights, topic weights). */
  profile?: Profile;
  /** A paper's terms for the profile (title and keywords). */
  termsOf?: (paperId: number) => string[];
  /** Community interest by paper id, from `communityScores` (computed when absent). */
  interest?: Map<number, number>;
  /** From findNearDuplicates over `papers` (computed when absent). */
  nearDuplicates?: Map<number, number[]>;
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

/** A paper scored for one subscriber's topics, before sent papers and near-duplicates are dropped. */
export type Ranked = Pick & { paper: RankablePaper };

/**
 * Ranks the subscriber's matching papers by relevance blended with community
 * interest, drops those already sent or matching an exclusion, and keeps at most
 * `cap`. Without (non-exclusion) topics: the trending list. Ties go to more
 * upvotes, then the smaller arXiv id, so the order is stable.
 */
export function rankDigest(options: RankOptions): Pick[] {
  return takeTop(rankAll(options), options.sentPaperIds, options.cap, options.nearDuplicates ?? findNearDuplicates(options.papers.values()));
}

/**
 * Every paper eligible for these topics (exclusions dropped), scored and sorted
 * best first. Depends on the topics, weights and profile only, not on what was
 * sent, so subscribers with the same choices can share it.
 */
export function rankAll(options: Omit<RankOptions, "sentPaperIds" | "cap">): Ranked[] {
  const { papers, hitsByTopic } = options;
  const weight = options.communityWeight ?? DEFAULT_COMMUNITY_WEIGHT;
  const scores = options.interest ?? communityScores(papers);
  const interest = (paper: RankablePaper) => scores.get(paper.id) ?? 0;
  const topics = options.topics.filter((topic) => topic.kind !== "exclude");
  const excluded = new Set(options.topics.filter((topic) => topic.kind === "exclude").flatMap((topic) => [...(hitsByTopic.get(topic.key)?.keys() ?? [])]));
  const ranked: Ranked[] = [];
  const profile = options.profile;
  const learned = (paperId: number) => (profile && options.termsOf ? FEEDBACK_WEIGHT * affinity(profile.terms, options.termsOf(paperId)) : 0);
  const topicWeight = (topic: CompiledTopic) => profile?.topicWeights.get(topic.key) ?? 1;

  if (topics.length === 0) {
    for (const paper of papers.values()) {
      if (excluded.has(paper.id)) continue;
      ranked.push({ paper, paperId: paper.id, relevance: 0, score: interest(paper) + learned(paper.id), reason: trendingReason(paper) });
    }
  } else {
    for (const [paperId, matched] of collectMatches(topics, hitsByTopic)) {
      const paper = papers.get(paperId);
      if (!paper || excluded.has(paperId)) continue;
      let best = 0;
      for (const { topic, hit } of matched) best = Math.max(best, hit.relevance * topicWeight(topic));
      const relevance = Math.min(1, best + EXTRA_TOPIC_BONUS * (matched.length - 1));
      if (relevance < MIN_RELEVANCE) continue;
      const score = (1 - weight) * relevance + weight * interest(paper) + learned(paperId);
      ranked.push({ paper, paperId, relevance, score, reason: matchReason(matched) });
    }
  }
  return ranked.sort((a, b) => b.score - a.score || b.paper.upvotes - a.paper.upvotes || a.paper.arxivId.localeCompare(b.paper.arxivId));
}

/** Paper ids to leave out (a Set, or a union of sets). */
export type PaperSet = { has(paperId: number): boolean };

/**
 * The first `cap` of `ranked` not already sent, keeping only the best-ranked of
 * papers whose titles are nearly the same (see findNearDuplicates). Stops as soon
 * as the cap is reached.
 */
export function takeTop(ranked: readonly Ranked[], sentPaperIds: PaperSet, cap: number, nearDuplicates: ReadonlyMap<number, number[]>): Pick[] {
  const kept: Pick[] = [];
  const keptIds = new Set<number>();
  for (const { paper: _, ...pick } of ranked) {
    if (kept.length >= cap) break;
    if (sentPaperIds.has(pick.paperId)) continue;
    if (nearDuplicates.get(pick.paperId)?.some((other) => keptIds.has(other))) continue;
    kept.push(pick);
    keptIds.add(pick.paperId);
  }
  return kept;
}

/**
 * Papers whose titles are nearly the same (a paper and its re-submission, or two
 * versions listed under different ids): by paper id, the ids of its twins. Titles
 * of four words or more, Jaccard similarity of their words ≥ 0.85. Computed once
 * per candidate set.
 */
export function findNearDuplicates(papers: Iterable<RankablePaper>): Map<number, number[]> {
  const titled = [...papers]
    .map((paper) => ({ id: paper.id, words: new Set(splitWords(paper.title ?? "")) }))
    .filter((entry) => entry.words.size >= 4)
    .sort((a, b) => a.words.size - b.words.size);
  const twins = new Map<number, number[]>();
  for (let i = 0; i < titled.length; i++) {
    const a = titled[i]!;
    // Sorted by size: once b has more than |a| / 0.85 words, the similarity cannot reach 0.85.
    for (let j = i + 1; j < titled.length && titled[j]!.words.size * 0.85 <= a.words.size; j++) {
      const b = titled[j]!;
      if (jaccard(a.words, b.words) < 0.85) continue;
      twins.set(a.id, [...(twins.get(a.id) ?? []), b.id]);
      twins.set(b.id, [...(twins.get(b.id) ?? []), a.id]);
    }
  }
  return twins;
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

/** Log-scaled upvotes, plus a little for comments and GitHub stars, relative to the busiest paper of the window (0..1 by paper id). */
export function communityScores(papers: Map<number, RankablePaper>): Map<number, number> {
  const raw = (paper: RankablePaper) => Math.log1p(paper.upvotes) + 0.25 * Math.log1p(paper.comments) + 0.15 * Math.log1p(paper.githubStars ?? 0);
  const max = Math.max(0, ...[...papers.values()].map(raw));
  return new Map([...papers.values()].map((paper) => [paper.id, max === 0 ? 0 : raw(paper) / max]));
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
