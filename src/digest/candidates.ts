// Loads a digest date's candidate papers and matches every distinct topic once.
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { indexPapers, matchTopic, type PaperIndex, type TopicHit } from "../matching/match.ts";
import { paperTerms, type Profile } from "../matching/profile.ts";
import { COMMUNITY_WEIGHTS, rankDigest, type Pick } from "../matching/rank.ts";
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
};

export type Candidates = {
  /** YYYY-MM-DD */
  date: string;
  /** First listing day included (YYYY-MM-DD). */
  since: string;
  papers: Map<number, CandidatePaper>;
  /** Hits of every distinct topic compiled so far, by topic key. */
  hitsByTopic: Map<string, Map<number, TopicHit>>;
  compiled: Map<string, CompiledTopic>;
  index: PaperIndex;
  /** Each paper's terms for feedback profiles (title and keywords). */
  terms: Map<number, string[]>;
};

/** Validates a YYYY-MM-DD date; throws INVALID_DATE. */
export function parseDay(value: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw new AppError("INVALID_DATE", `${JSON.stringify(value)} is not a date in the form YYYY-MM-DD`, { field: "date" });
  }
  return value;
}

export function addDays(day: string, days: number): string {
  return new Date(new Date(`${day}T00:00:00Z`).getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Papers featured in the `lookbackDays` days up to and including `date`, indexed,
 * with every given topic matched once. Read-only.
 */
export async function loadCandidates(db: Db, date: string, lookbackDays: number, topics: TopicSpec[]): Promise<Candidates> {
  const since = addDays(date, 1 - lookbackDays);
  const rows = await db.paper.findMany({
    where: { featuredOn: { gte: new Date(`${since}T00:00:00Z`), lte: new Date(`${date}T00:00:00Z`) } },
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
    },
  });
  const candidates: Candidates = { date, since, papers: new Map(rows.map((row) => [row.id, row])), hitsByTopic: new Map(), compiled: new Map(), index: indexPapers(rows), terms: new Map(rows.map((row) => [row.id, paperTerms(row)])) };
  matchTopics(candidates, topics);
  return candidates;
}

/** Matches the topics not matched yet (each distinct topic once per candidate set); returns them compiled. */
export function matchTopics(candidates: Candidates, topics: TopicSpec[]): CompiledTopic[] {
  return topics.map((topic) => {
    const key = topicKey(topic);
    const known = candidates.compiled.get(key);
    if (known) return known;
    const compiled = compileTopic(topic);
    candidates.compiled.set(key, compiled);
    candidates.hitsByTopic.set(key, new Map(matchTopic(candidates.index, compiled).map((hit) => [hit.paperId, hit])));
    return compiled;
  });
}

/** The subscriber's picks from the candidates; matches any topic not matched before. */
export function pickPapers(
  candidates: Candidates,
  subscriber: { topics: TopicSpec[]; maxPapers: number; popularity?: string },
  sentPaperIds: ReadonlySet<number>,
  profile?: Profile,
): Pick[] {
  const topics = matchTopics(candidates, subscriber.topics);
  return rankDigest({
    papers: candidates.papers,
    hitsByTopic: candidates.hitsByTopic,
    topics,
    sentPaperIds,
    cap: subscriber.maxPapers,
    communityWeight: COMMUNITY_WEIGHTS[subscriber.popularity ?? "balanced"],
    profile,
    termsOf: (paperId) => candidates.terms.get(paperId) ?? [],
  });
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
export function explainEmpty(candidates: Candidates, subscriber: { topics: TopicSpec[] }): string {
  if (candidates.papers.size === 0) return `no papers were featured from ${candidates.since} to ${candidates.date}`;
  if (subscriber.topics.length === 0) return "every trending paper was already sent";
  return `none of ${candidates.papers.size} papers matched ${subscriber.topics.map(formatTopic).join(", ")} (or they were already sent)`;
}
