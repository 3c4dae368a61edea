// A window's candidate papers, held in memory and matched once per distinct
// topic, and each subscriber's picks from them (pure: sources/candidates.ts loads them).
import type { AssociatedTerm } from "./associations.ts";
import { fuseTopicHits, type DenseState } from "./fuse-dense.ts";
import { matchTopic, type TopicHit } from "./match.ts";
import type { MatchablePaper, PaperIndex } from "./paper-index.ts";
import { hasLearned, type Profile } from "./profile.ts";
import { COMMUNITY_WEIGHTS, communityScores, findNearDuplicates, rankAll, takeTop, type PaperSet, type Pick, type Ranked } from "./rank.ts";
import { compileTopic, formatTopic, topicKey, type CompiledTopic, type TopicSpec } from "./topics.ts";

export type CandidatePaper = {
  id: number;
  arxivId: string;
  title: string;
  abstract: string;
  authors: string[];
  categories: string[];
  aiKeywords: string[];
  aiSummary: string | null;
  upvotes: number;
  comments: number;
  githubUrl: string | null;
  githubStars: number | null;
  projectUrl: string | null;
  source: string;
  /** The listing day (YYYY-MM-DD). */
  featuredOn: string;
  /** The stored thumbnail's size in pixels, or null when there is none. */
  thumbnail: { width: number; height: number } | null;
};

export type Candidates = {
  /** YYYY-MM-DD */
  date: string;
  /** First listing day included (YYYY-MM-DD). */
  since: string;
  /** The newest paper id in the database when these were loaded (papers ingested later are newer). */
  newestPaperId: number;
  papers: Map<number, CandidatePaper>;
  /** Hits of every distinct topic compiled so far, by topic key. */
  hitsByTopic: Map<string, Map<number, TopicHit>>;
  compiled: Map<string, CompiledTopic>;
  index: PaperIndex;
  /** The papers of `like:` topics, by arXiv id (from any day). */
  seeds: Map<string, MatchablePaper>;
  /** Words associated with each wording of the topics, in the whole corpus, by association key (see associations.ts). */
  associations: Map<string, AssociatedTerm[]>;
  /** Community interest by paper id (0..1). */
  interest: Map<number, number>;
  /** Papers with nearly the same title, by paper id. */
  nearDuplicates: Map<number, number[]>;
  /** The best SHARED_DEPTH of the rankings of subscribers with the same topics and popularity and no feedback. */
  rankings: Map<string, SharedRanking>;
  /** Ranked entries held in `rankings`, bounded by RANKINGS_LIMIT. */
  rankedHeld: number;
  /** Papers featured before a day, by that day: left out of a subscriber whose window starts later. */
  featuredBefore: Map<string, Set<number>>;
  /** Dense embeddings, when an embedder is configured (see sources/dense-vectors.ts). */
  dense?: DenseState;
};

type SharedRanking = { ranked: Ranked[]; truncated: boolean };

/** Entries kept per shared ranking: the largest cap (50) plus room for papers already sent or collapsed. */
const SHARED_DEPTH = 80;
/**
 * At most this many ranked entries are kept for sharing; past it, rankings are
 * computed per subscriber. An entry holds its matches for the reason it may be
 * worded with, ~400 bytes: 40 000 are ~16 MB (400 000 took a worker past its
 * 192 MB heap once readers had thousands of distinct topic sets).
 */
const RANKINGS_LIMIT = 40_000;

/** A candidate set of `papers` (the window's), indexed in `index`, with nothing matched yet. */
export function createCandidates(window: { since: string; until: string }, papers: CandidatePaper[], index: PaperIndex, newestPaperId: number, dense?: DenseState): Candidates {
  const byId = new Map(papers.map((paper) => [paper.id, paper]));
  return {
    date: window.until,
    since: window.since,
    newestPaperId,
    papers: byId,
    hitsByTopic: new Map(),
    compiled: new Map(),
    index,
    seeds: new Map(),
    associations: new Map(),
    interest: communityScores(byId),
    nearDuplicates: findNearDuplicates(papers),
    rankings: new Map(),
    rankedHeld: 0,
    featuredBefore: new Map(),
    dense,
  };
}

/** Matches the topics not matched yet (each distinct topic once per candidate set); returns them compiled. Dense similarity is fused in for topics embedTopics has embedded. */
export function matchTopics(candidates: Candidates, topics: TopicSpec[]): CompiledTopic[] {
  return topics.map((topic) => {
    const key = topicKey(topic);
    const known = candidates.compiled.get(key);
    if (known) return known;
    const compiled = compileTopic(topic);
    candidates.compiled.set(key, compiled);
    const hits = fuseTopicHits(candidates, compiled, matchTopic(candidates.index, compiled, candidates.seeds, candidates.associations));
    candidates.hitsByTopic.set(key, new Map(hits.map((hit) => [hit.paperId, hit])));
    return compiled;
  });
}

/**
 * The subscriber's picks from the candidates; matches any topic not matched before.
 * Subscribers without feedback share the ranking of their topics and popularity.
 */
export function pickPapers(
  candidates: Candidates,
  subscriber: { topics: TopicSpec[]; maxPapers: number; popularity?: string },
  sentPaperIds: PaperSet,
  profile?: Profile,
  since?: string,
): PaperPick[] {
  return rankedPicks(candidates, subscriber, sentPaperIds, profile, since).map((pick) => ({ ...pick, paper: candidates.papers.get(pick.paperId)! }));
}

function rankedPicks(candidates: Candidates, subscriber: { topics: TopicSpec[]; maxPapers: number; popularity?: string }, sentPaperIds: PaperSet, profile?: Profile, since?: string): Pick[] {
  const excluded = since && since > candidates.since ? unionOf(sentPaperIds, featuredBefore(candidates, since)) : sentPaperIds;
  const topics = matchTopics(candidates, subscriber.topics);
  const communityWeight = COMMUNITY_WEIGHTS[subscriber.popularity ?? "balanced"];
  const rank = (limit?: number) =>
    rankAll({ papers: candidates.papers, hitsByTopic: candidates.hitsByTopic, topics, communityWeight, profile, interest: candidates.interest, index: candidates.index }, limit);
  const learned = hasLearned(profile);
  const key = `${communityWeight}|${topics.map((topic) => topic.key).join("\u0000")}`;
  let shared = learned ? undefined : candidates.rankings.get(key);
  if (!shared) {
    shared = rank(SHARED_DEPTH);
    if (!learned && candidates.rankedHeld + shared.ranked.length <= RANKINGS_LIMIT) {
      candidates.rankings.set(key, shared);
      candidates.rankedHeld += shared.ranked.length;
    }
  }
  const picks = takeTop(shared.ranked, excluded, subscriber.maxPapers, candidates.nearDuplicates);
  // The best SHARED_DEPTH ran out before the cap (many papers already sent or out of the window): rank in full.
  return picks.length < subscriber.maxPapers && shared.truncated ? takeTop(rank().ranked, excluded, subscriber.maxPapers, candidates.nearDuplicates) : picks;
}

function featuredBefore(candidates: Candidates, day: string): ReadonlySet<number> {
  let before = candidates.featuredBefore.get(day);
  if (!before) {
    before = new Set([...candidates.papers.values()].filter((paper) => paper.featuredOn < day).map((paper) => paper.id));
    candidates.featuredBefore.set(day, before);
  }
  return before;
}

function unionOf(a: PaperSet, b: PaperSet): PaperSet {
  return { has: (paperId) => a.has(paperId) || b.has(paperId) };
}

/** A pick with the paper it picks: what the digest is composed from. */
export type PaperPick = Pick & { paper: CandidatePaper };

export type PickReport = Pick & { arxivId: string; title: string };

/** Picks with the arXiv id and title of their paper instead of the whole paper, for reports and --json output. */
export function describePicks(picks: PaperPick[]): PickReport[] {
  return picks.map(({ paper, ...pick }) => ({ ...pick, arxivId: paper.arxivId, title: paper.title }));
}

/** Why a subscriber gets nothing, in words for the run report. */
export function explainEmpty(candidates: Candidates, subscriber: { topics: TopicSpec[] }, since = candidates.since): string {
  const inWindow = since > candidates.since ? candidates.papers.size - featuredBefore(candidates, since).size : candidates.papers.size;
  if (inWindow === 0) return `no papers were featured from ${since} to ${candidates.date}`;
  if (subscriber.topics.length === 0) return "every trending paper was already sent";
  return `none of ${inWindow} papers from ${since} to ${candidates.date} matched ${subscriber.topics.map(formatTopic).join(", ")} (or they were already sent)`;
}
