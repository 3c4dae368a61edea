// Fuses a topic's lexical hits with dense (embedding) similarity (pure): a
// calibrated blend that keeps the relevance scale, so the digest's cut
// (MIN_RELEVANCE) means the same with and without embeddings. The vectors
// come in DenseState, loaded by sources/dense-vectors.ts.
import { dot, type Embedder } from "./embedder.ts";
import type { TopicHit } from "./match.ts";
import type { CompiledTopic } from "./topics.ts";
import { MIN_RELEVANCE } from "./rank.ts";

/**
 * Calibration against the candidate set itself: most papers of a window are not
 * about a given topic, so the median cosine is what "unrelated" scores for this
 * model, and a paper must stand out from it by MARGIN (cosine units) and, in a
 * window large enough to measure the spread, by Z robust standard deviations.
 */
const MARGIN = 0.15;
const Z = 3;
const MIN_POPULATION = 20;
/** At most this many papers per topic come in by similarity. */
const DENSE_DEPTH = 10;
/** Relevance of a paper found by similarity alone: the cut at the floor, rising to this many cosine units above it. */
const DENSE_SCALE = 0.3;
/** …and at most this: similarity alone never outranks a paper that is about the topic in its words. */
const DENSE_CEILING = 0.6;

export type DenseCalibration = { floor: number; median: number; spread: number };

/** The floor a paper's cosine must clear to count (see MARGIN); undefined when there is nothing to compare. */
export function calibrateSimilarity(similarity: ReadonlyMap<number, number>): DenseCalibration | undefined {
  const values = [...similarity.values()].sort((a, b) => a - b);
  if (values.length === 0) return undefined;
  const median = medianOf(values);
  const spread = 1.4826 * medianOf(values.map((value) => Math.abs(value - median)).sort((a, b) => a - b));
  const above = values.length >= MIN_POPULATION ? Math.max(MARGIN, Z * spread) : MARGIN;
  return { floor: median + above, median, spread };
}

/**
 * The topic's hits with similarity fused in: a paper among the DENSE_DEPTH most
 * similar and above the calibrated floor gets a dense relevance (the cut at the
 * floor, up to DENSE_CEILING), combined with its lexical relevance as a noisy-or;
 * papers found by similarity alone join with `label` and no words. Other hits are
 * unchanged. `similarity`: cosine by paper id, for the papers that have a vector.
 */
export function fuseDense(lexical: readonly TopicHit[], similarity: ReadonlyMap<number, number>, label: string): TopicHit[] {
  const calibration = calibrateSimilarity(similarity);
  if (!calibration) return [...lexical];
  const dense = new Map(
    [...similarity]
      .filter(([, value]) => value >= calibration.floor)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, DENSE_DEPTH)
      .map(([paperId, value]) => [paperId, { value, relevance: denseRelevance(value, calibration.floor) }]),
  );
  const fused: TopicHit[] = [];
  for (const hit of lexical) {
    const found = dense.get(hit.paperId);
    if (!found) {
      fused.push(hit);
      continue;
    }
    dense.delete(hit.paperId);
    fused.push({ ...hit, relevance: 1 - (1 - hit.relevance) * (1 - found.relevance), evidence: { ...hit.evidence, similarity: found.value } });
  }
  for (const [paperId, { value, relevance }] of dense) {
    fused.push({ paperId, relevance, fields: [], evidence: { label, words: [], missing: [], together: false, related: [], similarity: value } });
  }
  return fused;
}

function denseRelevance(value: number, floor: number): number {
  return MIN_RELEVANCE + (DENSE_CEILING - MIN_RELEVANCE) * Math.min(1, (value - floor) / DENSE_SCALE);
}

function medianOf(sorted: number[]): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** What dense matching reads of a candidate set (candidates.ts). */
export type DenseCandidates = {
  dense?: DenseState;
  compiled: ReadonlyMap<string, unknown>;
  papers: ReadonlyMap<number, { id: number; arxivId: string }>;
  seeds: ReadonlyMap<string, { title: string }>;
};

/** Vectors are held at length 1, so that a dot product is the cosine (per topic and paper, the hot loop). */
export type DenseState = {
  embedder: Embedder;
  /** The window papers' vectors by paper id. */
  vectors: Map<number, Float32Array>;
  /** The papers of `like:` topics' vectors, by arXiv id. */
  seedVectors: Map<string, Float32Array>;
  /** Embedded topic labels, by topic key. */
  topics: Map<string, Float32Array>;
  /** Set once dense matching is off for this candidate set: why. */
  unavailable?: string;
};

/** Whether the topic is matched by meaning too: ranked keyword topics without "quoted phrases", and like: topics. Author, category, exclusion and phrase topics stay exact. */
export function isDenseTopic(topic: CompiledTopic): boolean {
  if (topic.kind === "like") return true;
  return topic.kind === "keyword" && topic.queries.every((query) => query.phrases.length === 0);
}

/** The topic's lexical hits with embedding similarity fused in (see fuseDense), or the lexical hits when dense matching is off or the topic is exact. */
export function fuseTopicHits(candidates: DenseCandidates, topic: CompiledTopic, hits: TopicHit[]): TopicHit[] {
  const dense = candidates.dense;
  if (!dense || dense.unavailable || !isDenseTopic(topic)) return hits;
  const seedId = topic.seed === undefined ? undefined : [...candidates.papers.values()].find((paper) => paper.arxivId === topic.seed)?.id;
  const vector = topic.seed === undefined ? dense.topics.get(topic.key) : (dense.seedVectors.get(topic.seed) ?? (seedId === undefined ? undefined : dense.vectors.get(seedId)));
  if (!vector) return hits;
  const similarity = new Map<number, number>();
  for (const [paperId, paperVector] of dense.vectors) if (paperId !== seedId) similarity.set(paperId, dot(vector, paperVector));
  const label = topic.seed !== undefined ? (candidates.seeds.get(topic.seed)?.title ?? topic.label) : topic.label;
  return fuseDense(hits, similarity, label);
}

/** The run report's line when embeddings were configured but not used. */
export function describeDenseFallback(candidates: DenseCandidates): string | undefined {
  const reason = candidates.dense?.unavailable;
  return reason === undefined ? undefined : `embeddings unavailable (${reason}): lexical ranking used`;
}
