// Builds one subscriber's digest from the topic hits of a run (pure).
import type { TopicHit } from "./match.ts";
import { bestOf, packedHits, scratchFor, slotsOf } from "./rank-arrays.ts";
import { findSimilar, type Field, type PaperIndex } from "./paper-index.ts";
import { countedVotes, type Profile, type Vote } from "./profile.ts";
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
  /** What the subscriber's feedback taught (votes, topic weights). */
  profile?: Profile;
  /** The candidates' index, where papers like the voted ones are looked for (needed for votes to count). */
  index?: PaperIndex;
  /** Community interest by paper id, from `communityScores` (computed when absent). */
  interest?: Map<number, number>;
  /** From findNearDuplicates over `papers` (computed when absent). */
  nearDuplicates?: Map<number, number[]>;
};

/**
 * Rocchio: how much being like a liked paper adds to a paper's relevance, and being
 * like a disliked one takes away (similarity is 0..1 on the voted paper's own scale).
 */
const LIKED_WEIGHT = 0.6;
const DISLIKED_WEIGHT = 0.4;

const DEFAULT_COMMUNITY_WEIGHT = 0.3;
/** Share of the score community interest gets, per the subscriber's "niche ↔ trending" choice. */
export const COMMUNITY_WEIGHTS: Record<string, number> = { niche: 0.1, balanced: DEFAULT_COMMUNITY_WEIGHT, trending: 0.6 };
/**
 * The cut: a paper is sent only when it scores at least this share of what a paper
 * about the topic scores (see matchTopic), so a digest is never padded with passing mentions.
 */
export const MIN_RELEVANCE = 0.3;
const EXTRA_TOPIC_BONUS = 0.1;
const FIELD_NAMES: Record<Field, string> = { title: "title", keywords: "keywords", abstract: "abstract", authors: "authors", categories: "categories" };

/**
 * A paper scored for one subscriber's topics, before sent papers and near-duplicates
 * are dropped. Its reason is worded only when it is picked (most ranked papers never are).
 */
export type Ranked = Omit<Pick, "reason"> & { paper: RankablePaper; reason: () => string };

/** `make`, called once at most. */
function once(make: () => string): () => string {
  let made: string | undefined;
  return () => (made ??= make());
}

/**
 * Ranks the subscriber's matching papers by relevance blended with community
 * interest, drops those already sent or matching an exclusion, and keeps at most
 * `cap`. Without (non-exclusion) topics: the trending list. Ties go to more
 * upvotes, then the smaller arXiv id, so the order is stable.
 */
export function rankDigest(options: RankOptions): Pick[] {
  return takeTop(rankAll(options).ranked, options.sentPaperIds, options.cap, options.nearDuplicates ?? findNearDuplicates(options.papers.values()));
}

/**
 * Every paper eligible for these topics (exclusions dropped), scored, best first;
 * with `limit`, only the best `limit` (and whether there were more). Depends on
 * the topics, weights and profile only, not on what was sent, so subscribers with
 * the same choices can share it. Papers are scored in typed arrays by slot (see
 * slotsOf) and only the kept ones become Ranked entries: at 2 000 papers a
 * digest's topics match thousands, of which a hundred at most are read.
 */
export function rankAll(options: Omit<RankOptions, "sentPaperIds" | "cap">, limit = Number.POSITIVE_INFINITY): { ranked: Ranked[]; truncated: boolean } {
  const { papers, hitsByTopic } = options;
  const weight = options.communityWeight ?? DEFAULT_COMMUNITY_WEIGHT;
  const scores = options.interest ?? communityScores(papers);
  const interest = (paper: RankablePaper) => scores.get(paper.id) ?? 0;
  const topics = options.topics.filter((topic) => topic.kind !== "exclude");
  const excluded = new Set(options.topics.filter((topic) => topic.kind === "exclude").flatMap((topic) => [...(hitsByTopic.get(topic.key)?.keys() ?? [])]));
  const voted = options.profile !== undefined && options.profile.votes.length > 0;
  const learned = learnedFrom(options.profile, options.index);
  const shiftOf = (paperId: number) => (voted ? learned(paperId).shift : 0);
  const topicWeight = (topic: CompiledTopic) => options.profile?.topicWeights.get(topic.key) ?? 1;
  const { paperAt } = slotsOf(papers);
  const scratch = scratchFor(paperAt.length);
  const kept: number[] = [];

  if (topics.length === 0) {
    for (let slot = 0; slot < paperAt.length; slot++) {
      const paper = paperAt[slot]!;
      if (excluded.has(paper.id)) continue;
      scratch.score[slot] = interest(paper) + shiftOf(paper.id);
      kept.push(slot);
    }
  } else {
    // Per paper: the best weighted relevance of any topic, and how many topics clear the cut on their own.
    const { best, clearing, stamp } = scratch;
    const touched: number[] = [];
    const generation = ++scratch.generation;
    for (const topic of topics) {
      const hits = hitsByTopic.get(topic.key);
      if (!hits) continue;
      const factor = topicWeight(topic);
      const packed = packedHits(papers, hits);
      for (let i = 0; i < packed.slots.length; i++) {
        const value = packed.relevance[i]! * factor;
        // Strongest first: without votes to lift them, the rest can neither pass the cut nor raise a best that does.
        if (!voted && value < MIN_RELEVANCE) break;
        const slot = packed.slots[i]!;
        if (slot < 0) continue;
        if (stamp[slot] !== generation) {
          stamp[slot] = generation;
          best[slot] = Math.max(0, value);
          clearing[slot] = 0;
          touched.push(slot);
        } else if (value > best[slot]!) best[slot] = value;
        if (value >= MIN_RELEVANCE) clearing[slot]!++;
      }
    }
    for (const slot of touched) {
      const paper = paperAt[slot]!;
      if (excluded.has(paper.id)) continue;
      // Another topic counts only when it clears the cut on its own (a passing mention is not a second match).
      const relevance = Math.min(1, best[slot]! + EXTRA_TOPIC_BONUS * Math.max(0, clearing[slot]! - 1) + shiftOf(paper.id));
      if (relevance < MIN_RELEVANCE) continue;
      scratch.relevance[slot] = relevance;
      scratch.score[slot] = blend(relevance, interest(paper), weight);
      kept.push(slot);
    }
    // Papers like a liked one come in without the topics' words (the query moved towards them).
    if (voted) {
      for (let slot = 0; slot < paperAt.length; slot++) {
        const paper = paperAt[slot]!;
        if (stamp[slot] === generation || excluded.has(paper.id)) continue;
        const { shift, liked } = learned(paper.id);
        if (!liked || shift < MIN_RELEVANCE) continue;
        scratch.relevance[slot] = shift;
        scratch.score[slot] = blend(shift, interest(paper), weight);
        kept.push(slot);
      }
    }
  }
  const before = (a: number, b: number) => scratch.score[b]! - scratch.score[a]! || paperAt[b]!.upvotes - paperAt[a]!.upvotes || paperAt[a]!.arxivId.localeCompare(paperAt[b]!.arxivId);
  const top = bestOf(kept, limit, before);
  const reasonFor = (paper: RankablePaper): (() => string) =>
    once(() => {
      const liked = voted ? learned(paper.id).liked : undefined;
      const matched: Matched[] = [];
      for (const topic of topics) {
        const hit = hitsByTopic.get(topic.key)?.get(paper.id);
        if (hit) matched.push({ topic, hit });
      }
      if (matched.length === 0) return liked ? likedReason(liked) : trendingReason(paper);
      const clearing = matched.filter(({ topic, hit }) => hit.relevance * topicWeight(topic) >= MIN_RELEVANCE);
      return matchReason(clearing.length > 0 ? clearing : matched);
    });
  return {
    ranked: top.map((slot) => {
      const paper = paperAt[slot]!;
      return { paper, paperId: paper.id, relevance: topics.length === 0 ? 0 : scratch.relevance[slot]!, score: scratch.score[slot]!, reason: reasonFor(paper) };
    }),
    truncated: top.length < kept.length,
  };
}

/**
 * Relevance raised by community interest by up to `weight` of itself: popularity
 * orders papers about equally relevant, but cannot lift a passing mention above a
 * paper about the topic.
 */
function blend(relevance: number, interest: number, weight: number): number {
  return relevance * (1 + weight * interest);
}

/**
 * How the votes move one paper: + LIKED_WEIGHT × its similarity to the liked paper
 * it is most like, − DISLIKED_WEIGHT × that to the disliked one; with that liked paper.
 */
function learnedFrom(profile: Profile | undefined, index: PaperIndex | undefined): (paperId: number) => { shift: number; liked?: Vote } {
  if (!profile || !index || profile.votes.length === 0) return () => ({ shift: 0 });
  const { liked, disliked } = countedVotes(profile);
  const similarity = (votes: Vote[]) =>
    votes.map((vote) => ({ vote, similar: findSimilar(index, { id: vote.paperId, title: vote.title, abstract: vote.abstract, aiKeywords: vote.aiKeywords, authors: [] }) }));
  const likedSimilar = similarity(liked);
  const dislikedSimilar = similarity(disliked);
  return (paperId) => {
    let closest: Vote | undefined;
    let up = 0;
    for (const { vote, similar } of likedSimilar) {
      const value = similar.get(paperId)?.relevance ?? 0;
      if (value > up) (up = value), (closest = vote);
    }
    let down = 0;
    for (const { similar } of dislikedSimilar) down = Math.max(down, similar.get(paperId)?.relevance ?? 0);
    return { shift: LIKED_WEIGHT * up - DISLIKED_WEIGHT * down, liked: closest && up > down ? closest : undefined };
  };
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
  for (const { paperId, score, relevance, reason } of ranked) {
    if (kept.length >= cap) break;
    if (sentPaperIds.has(paperId)) continue;
    if (nearDuplicates.get(paperId)?.some((other) => keptIds.has(other))) continue;
    kept.push({ paperId, score, relevance, reason: reason() });
    keptIds.add(paperId);
  }
  return kept;
}

/**
 * Papers whose titles are nearly the same (a paper and its re-submission, or two
 * versions listed under different ids): by paper id, the ids of its twins. Titles
 * of four words or more, Jaccard similarity of their words ≥ 0.85. Computed once
 * per candidate set, in about linear time: only titles that share one of their
 * rarest words are compared (prefix filtering, as in All-Pairs and PPJoin — two
 * sets this similar always share one of their first |x| − ⌈0.85·|x|⌉ + 1 words
 * in any fixed order of the words).
 */
export function findNearDuplicates(papers: Iterable<RankablePaper>): Map<number, number[]> {
  const titled = [...papers]
    .map((paper) => ({ id: paper.id, words: [...new Set(splitWords(paper.title ?? ""))] }))
    .filter((entry) => entry.words.length >= 4)
    .sort((a, b) => a.words.length - b.words.length || a.id - b.id);
  // Rarest words first, so that prefixes hold few common words and few titles meet.
  const frequency = new Map<string, number>();
  for (const entry of titled) for (const word of entry.words) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  for (const entry of titled) entry.words.sort((x, y) => frequency.get(x)! - frequency.get(y)! || (x < y ? -1 : x > y ? 1 : 0));
  const twins = new Map<number, number[]>();
  const byPrefixWord = new Map<string, number[]>();
  for (let i = 0; i < titled.length; i++) {
    const a = titled[i]!;
    const words = new Set(a.words);
    const prefix = a.words.length - Math.ceil(TWIN_SIMILARITY * a.words.length) + 1;
    const compared = new Set<number>();
    for (const word of a.words.slice(0, prefix)) {
      for (const j of byPrefixWord.get(word) ?? []) {
        const b = titled[j]!;
        // Sorted by size: b has at most |a| words; with fewer than 0.85·|a| the similarity cannot reach 0.85.
        if (compared.has(j) || b.words.length < TWIN_SIMILARITY * a.words.length) continue;
        compared.add(j);
        if (jaccard(words, b.words) < TWIN_SIMILARITY) continue;
        twins.set(a.id, [...(twins.get(a.id) ?? []), b.id]);
        twins.set(b.id, [...(twins.get(b.id) ?? []), a.id]);
      }
      let list = byPrefixWord.get(word);
      if (!list) byPrefixWord.set(word, (list = []));
      list.push(i);
    }
  }
  return twins;
}

const TWIN_SIMILARITY = 0.85;

function jaccard(a: Set<string>, b: string[]): number {
  let shared = 0;
  for (const word of b) if (a.has(word)) shared++;
  return shared / (a.size + b.length - shared);
}

type Matched = { topic: CompiledTopic; hit: TopicHit };

/** Log-scaled upvotes, plus a little for comments and GitHub stars, relative to the busiest paper of the window (0..1 by paper id). */
export function communityScores(papers: Map<number, RankablePaper>): Map<number, number> {
  const raw = (paper: RankablePaper) => Math.log1p(paper.upvotes) + 0.25 * Math.log1p(paper.comments) + 0.15 * Math.log1p(paper.githubStars ?? 0);
  const max = Math.max(0, ...[...papers.values()].map(raw));
  return new Map([...papers.values()].map((paper) => [paper.id, max === 0 ? 0 : raw(paper) / max]));
}

function matchReason(matched: Matched[]): string {
  const strongest = [...matched].sort((a, b) => b.hit.relevance - a.hit.relevance);
  const more = strongest.length > 2 ? ` (+${strongest.length - 2} more topics)` : "";
  return `Matched ${strongest
    .slice(0, 2)
    .map(({ topic, hit }) => describeHit(topic, hit))
    .join("; ")}${more}`;
}

/** Exactly what matched: the phrase, or which of its words (and that they were apart), a synonym, related words, the liked paper. */
function describeHit(topic: CompiledTopic, hit: TopicHit): string {
  const { label, words, missing, together, via, related } = hit.evidence;
  const where = `in the ${listFields(hit.fields)}`;
  const relatedWords = related.length > 0 ? `, with related words ${quoteList(related.slice(0, 3))}` : "";
  if (topic.kind === "author") return `author ${quote(topic.label)}`;
  if (topic.kind === "category") return `category ${topic.label}`;
  if (words.length === 0 && related.length === 0 && hit.evidence.similarity !== undefined)
    return `${topic.kind === "like" ? `papers like “${shorten(label)}”` : quote(label)} by meaning (embedding similarity ${hit.evidence.similarity.toFixed(2)})`;
  if (topic.kind === "like") return `papers like “${shorten(label)}”: ${quoteList(words.slice(0, 4))} ${where}`;
  if (words.length === 0) return `${quote(label)} by related words ${quoteList(related.slice(0, 3))} ${where}`;
  if (via) return `${quote(label)} as “${via}” ${where}${relatedWords}`;
  if (together && missing.length === 0) return `${quote(label)} ${where}${relatedWords}`;
  const apart = words.length > 1 && !together ? ", not as the phrase" : "";
  return `${quoteList(words)} of ${quote(label)} ${where}${apart}${relatedWords}`;
}

function quoteList(words: string[]): string {
  return words.map((word) => `“${word}”`).join(", ");
}

function shorten(text: string): string {
  return text.length <= 60 ? text : `${text.slice(0, 57).trimEnd()}…`;
}

function likedReason(vote: Vote): string {
  return `Like “${shorten(vote.title)}”, which you liked`;
}

/** The why-line of a paper picked for its community interest alone. */
export function trendingReason(paper: { upvotes: number; comments: number }): string {
  return `Trending: ${paper.upvotes} upvote${paper.upvotes === 1 ? "" : "s"}${paper.comments > 0 ? `, ${paper.comments} comment${paper.comments === 1 ? "" : "s"}` : ""}`;
}

function quote(label: string): string {
  return `“${label.replace(/^"(.*)"$/, "$1")}”`;
}

function listFields(fields: Field[]): string {
  const names = fields.map((field) => FIELD_NAMES[field]);
  return names.length <= 1 ? (names[0] ?? "text") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}
