// Dense embeddings in a candidate set: the window papers' stored vectors, each
// distinct topic embedded once, and the fusion of similarity into its hits. When
// the server fails or vectors are missing, the lexical ranking is used and
// `unavailable` says why (the run report shows it).
import type { Db } from "../db/client.ts";
import { describeError } from "../errors.ts";
import { decodeVector, dot, normalize, type Embedder } from "../matching/embedder.ts";
import { fuseDense } from "../matching/fuse-dense.ts";
import type { TopicHit } from "../matching/match.ts";
import { compileTopic, topicKey, type CompiledTopic, type TopicSpec } from "../matching/topics.ts";
import { embedNewPapers } from "../sources/paper-embeddings.ts";

/** What dense matching reads of a candidate set (candidates.ts). */
type DenseCandidates = {
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

/**
 * Embeds papers still without a vector (see embedNewPapers), then loads the
 * vectors of `paperIds` and of the seed papers. Dense matching is off
 * (`unavailable`) unless every window paper has a vector: a ranking is either
 * fused for all papers or lexical for all.
 */
export async function loadDense(db: Db, embedder: Embedder, paperIds: number[], seedIds: string[]): Promise<DenseState> {
  let loaded = await loadVectors(db, embedder.model, paperIds, seedIds);
  let error: string | undefined;
  // Normally every paper was embedded at ingest; the server is asked only when some were not.
  if (loaded.vectors.size < paperIds.length || loaded.seedVectors.size < seedIds.length) {
    error = (await embedNewPapers(db, embedder)).error;
    loaded = await loadVectors(db, embedder.model, paperIds, seedIds);
  }
  const state: DenseState = { embedder, ...loaded, topics: new Map() };
  const missing = paperIds.length - loaded.vectors.size;
  if (missing > 0) state.unavailable = `${missing} of ${paperIds.length} papers have no vector from ${embedder.model}${error ? `: ${error}` : ""}`;
  return state;
}

async function loadVectors(db: Db, model: string, paperIds: number[], seedIds: string[]): Promise<Pick<DenseState, "vectors" | "seedVectors">> {
  const [rows, seeds] = await Promise.all([
    db.paper.findMany({ where: { id: { in: paperIds }, embeddingModel: model }, select: { id: true, embedding: true } }),
    seedIds.length === 0 ? [] : db.paper.findMany({ where: { arxivId: { in: seedIds }, embeddingModel: model }, select: { arxivId: true, embedding: true } }),
  ]);
  return { vectors: decodeAll(rows.map((row) => [row.id, row.embedding])), seedVectors: decodeAll(seeds.map((seed) => [seed.arxivId, seed.embedding])) };
}

function decodeAll<K>(entries: Array<[K, Uint8Array | null]>): Map<K, Float32Array> {
  const vectors = new Map<K, Float32Array>();
  for (const [key, bytes] of entries) {
    const vector = bytes && decodeVector(bytes);
    if (vector) vectors.set(key, normalize(vector));
  }
  return vectors;
}

/** Whether the topic is matched by meaning too: ranked keyword topics without "quoted phrases", and like: topics. Author, category, exclusion and phrase topics stay exact. */
export function isDenseTopic(topic: CompiledTopic): boolean {
  if (topic.kind === "like") return true;
  return topic.kind === "keyword" && topic.queries.every((query) => query.phrases.length === 0);
}

/**
 * Embeds the labels of the topics not embedded yet (one request for all), so the
 * synchronous matching can fuse them. A server failure turns dense matching off
 * for the candidate set (`unavailable`); never throws.
 */
export async function embedTopics(candidates: DenseCandidates, topics: TopicSpec[]): Promise<void> {
  const dense = candidates.dense;
  if (!dense || dense.unavailable) return;
  const pending = new Map<string, string>();
  for (const spec of topics) {
    const key = topicKey(spec);
    if (dense.topics.has(key) || pending.has(key) || candidates.compiled.has(key)) continue;
    const topic = compileTopic(spec);
    if (topic.kind !== "like" && isDenseTopic(topic)) pending.set(key, topic.label);
  }
  if (pending.size === 0) return;
  try {
    const vectors = await dense.embedder.embed([...pending.values()]);
    [...pending.keys()].forEach((key, i) => dense.topics.set(key, normalize(vectors[i]!)));
  } catch (error) {
    dense.unavailable = describeError(error);
  }
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
