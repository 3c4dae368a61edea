// Loads a digest date's candidate papers and matches every distinct topic once.
import type { Db } from "../db/client.ts";
import { dayStart, toDay } from "../days.ts";
import type { DigestWindow } from "./digest-key.ts";
import { embedTopics, fuseTopicHits, loadDense, type DenseState } from "./dense-matching.ts";
import type { Embedder } from "../matching/embedder.ts";
import type { AssociatedTerm } from "../matching/associations.ts";
import { documentTerms } from "../matching/corpus.ts";
import { matchTopic, type TopicHit } from "../matching/match.ts";
import { indexPapers, type MatchablePaper, type PaperIndex } from "../matching/paper-index.ts";
import { isStopWord } from "../matching/tokens.ts";
import { hasLearned, type Profile } from "../matching/profile.ts";
import { countNewPapers, loadCorpusStats } from "../sources/corpus-stats.ts";
import { associationKeys, loadAssociations } from "../sources/term-associations.ts";
import { COMMUNITY_WEIGHTS, communityScores, findNearDuplicates, rankAll, takeTop, type PaperSet, type Pick, type Ranked } from "../matching/rank.ts";
import { compileTopic, formatTopic, topicKey, type CompiledTopic, type TopicSpec } from "../matching/topics.ts";

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
  /** Dense embeddings, when an embedder is configured (see dense-matching.ts). */
  dense?: DenseState;
};

type SharedRanking = { ranked: Ranked[]; truncated: boolean };

/** Entries kept per shared ranking: the largest cap (50) plus room for papers already sent or collapsed. */
const SHARED_DEPTH = 80;
/** At most this many ranked entries are kept for sharing (a few MB); past it, rankings are computed per subscriber. */
const RANKINGS_LIMIT = 400_000;

/**
 * Papers featured on the window's days, indexed, with every given topic matched
 * once; `newestPaperId` is the newest paper in the database as they were loaded.
 * Read-only, except that with an `embedder` papers still without a vector are
 * embedded, and term associations never worked out are stored (see prepareTopics).
 */
export async function loadCandidates(db: Db, window: DigestWindow, topics: TopicSpec[], embedder?: Embedder): Promise<Candidates> {
  await countNewPapers(db);
  // Read before the papers, so that a paper ingested meanwhile is newer than newestPaperId.
  const newest = await db.paper.aggregate({ _max: { id: true } });
  const found = await db.paper.findMany({
    where: { featuredOn: { gte: dayStart(window.since), lte: dayStart(window.until) } },
    select: {
      id: true,
      arxivId: true,
      title: true,
      abstract: true,
      authors: true,
      categories: true,
      aiKeywords: true,
      aiSummary: true,
      upvotes: true,
      comments: true,
      githubUrl: true,
      githubStars: true,
      projectUrl: true,
      source: true,
      featuredOn: true,
    },
  });
  const rows = found.map(({ featuredOn, ...row }) => ({ ...row, featuredOn: toDay(featuredOn) }));
  const papers = new Map(rows.map((row) => [row.id, row]));
  const seedIds = topics.filter((topic) => topic.kind === "like").map((topic) => topic.query);
  // Indexed first, so that the rarity of exactly the words the index has is loaded.
  const index = indexPapers(rows, { papers: 0, df: new Map() });
  index.stats = await loadCorpusStats(
    db,
    [...index.postings.keys()].filter((term) => !isStopWord(term)),
  );
  const candidates: Candidates = {
    date: window.until,
    since: window.since,
    newestPaperId: newest._max.id ?? 0,
    papers,
    hitsByTopic: new Map(),
    compiled: new Map(),
    index,
    seeds: new Map(),
    associations: new Map(),
    interest: communityScores(papers),
    nearDuplicates: findNearDuplicates(rows),
    rankings: new Map(),
    rankedHeld: 0,
    featuredBefore: new Map(),
    dense: embedder
      ? await loadDense(
          db,
          embedder,
          rows.map((row) => row.id),
          seedIds,
        )
      : undefined,
  };
  await prepareTopics(db, candidates, topics);
  await embedTopics(candidates, topics);
  matchTopics(candidates, topics);
  return candidates;
}

/**
 * Loads what matching `topics` needs beyond the window's papers: the papers of
 * `like:` topics, the corpus statistics of words the window does not have (so a
 * topic scores the same in every candidate set), and the words associated with
 * each wording in the whole corpus. Call before picking for topics the
 * candidates were not loaded with; each thing is loaded once.
 */
export async function prepareTopics(db: Db, candidates: Candidates, topics: TopicSpec[]): Promise<void> {
  const seedIds = [...new Set(topics.filter((topic) => topic.kind === "like" && !candidates.seeds.has(topic.query)).map((topic) => topic.query))];
  const seeds =
    seedIds.length === 0 ? [] : await db.paper.findMany({ where: { arxivId: { in: seedIds } }, select: { id: true, arxivId: true, title: true, abstract: true, authors: true, aiKeywords: true } });
  for (const seed of seeds) candidates.seeds.set(seed.arxivId, seed);
  const known = candidates.index.stats.df;
  const missing = new Set<string>();
  for (const seed of seeds) for (const term of documentTerms(seed)) if (!known.has(term)) missing.add(term);
  for (const topic of topics) {
    if (candidates.compiled.has(topicKey(topic))) continue;
    for (const query of compileTopic(topic).queries) for (const word of query.words) if (!known.has(word.term)) missing.add(word.term);
  }
  if (missing.size > 0) {
    const loaded = await loadCorpusStats(db, missing);
    const df = new Map(known);
    for (const term of missing) df.set(term, loaded.df.get(term) ?? 0); // 0: looked up, in no paper (counts as rare)
    candidates.index.stats = { papers: candidates.index.stats.papers, df };
  }
  const keys = topics
    .filter((topic) => !candidates.compiled.has(topicKey(topic)))
    .flatMap(associationKeys)
    .filter((key) => !candidates.associations.has(key));
  for (const [key, terms] of await loadAssociations(db, keys)) candidates.associations.set(key, terms);
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
export function pickPapers(candidates: Candidates, subscriber: { topics: TopicSpec[]; maxPapers: number; popularity?: string }, sentPaperIds: PaperSet, profile?: Profile, since?: string): Pick[] {
  const excluded = since && since > candidates.since ? unionOf(sentPaperIds, featuredBefore(candidates, since)) : sentPaperIds;
  const topics = matchTopics(candidates, subscriber.topics);
  const communityWeight = COMMUNITY_WEIGHTS[subscriber.popularity ?? "balanced"];
  const rank = () => rankAll({ papers: candidates.papers, hitsByTopic: candidates.hitsByTopic, topics, communityWeight, profile, interest: candidates.interest, index: candidates.index });
  if (hasLearned(profile)) return takeTop(rank(), excluded, subscriber.maxPapers, candidates.nearDuplicates);
  const key = `${communityWeight}|${topics.map((topic) => topic.key).join("\u0000")}`;
  let shared = candidates.rankings.get(key);
  if (!shared) {
    const ranked = rank();
    shared = { ranked: ranked.slice(0, SHARED_DEPTH), truncated: ranked.length > SHARED_DEPTH };
    if (candidates.rankedHeld + shared.ranked.length <= RANKINGS_LIMIT) {
      candidates.rankings.set(key, shared);
      candidates.rankedHeld += shared.ranked.length;
    }
    if (shared.truncated) shared = { ranked, truncated: false };
  }
  const picks = takeTop(shared.ranked, excluded, subscriber.maxPapers, candidates.nearDuplicates);
  // The shared prefix ran out before the cap (many papers already sent or out of the window): rank in full.
  return picks.length < subscriber.maxPapers && shared.truncated ? takeTop(rank(), excluded, subscriber.maxPapers, candidates.nearDuplicates) : picks;
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

export type PickReport = Pick & { arxivId: string; title: string };

/** Picks with the arXiv id and title of their paper, for reports and --json output. */
export function describePicks(candidates: Candidates, picks: Pick[]): PickReport[] {
  return picks.map((pick) => {
    const paper = candidates.papers.get(pick.paperId);
    return { ...pick, arxivId: paper?.arxivId ?? "", title: paper?.title ?? "" };
  });
}

/** Why a subscriber gets nothing, in words for the run report. */
export function explainEmpty(candidates: Candidates, subscriber: { topics: TopicSpec[] }, since = candidates.since): string {
  const inWindow = since > candidates.since ? candidates.papers.size - featuredBefore(candidates, since).size : candidates.papers.size;
  if (inWindow === 0) return `no papers were featured from ${since} to ${candidates.date}`;
  if (subscriber.topics.length === 0) return "every trending paper was already sent";
  return `none of ${inWindow} papers from ${since} to ${candidates.date} matched ${subscriber.topics.map(formatTopic).join(", ")} (or they were already sent)`;
}
