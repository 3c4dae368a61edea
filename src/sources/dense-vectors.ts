// Dense embeddings for a candidate set: the window papers' stored vectors loaded
// and each distinct topic embedded once (matching/fuse-dense.ts fuses them). When
// the server fails or vectors are missing, the lexical ranking is used and
// `unavailable` says why (the run report shows it).
import type { Db } from "../db/client.ts";
import { describeError } from "../errors.ts";
import { decodeVector, normalize, type Embedder } from "../matching/embedder.ts";
import { isDenseTopic, type DenseCandidates, type DenseState } from "../matching/fuse-dense.ts";
import { compileTopic, topicKey, type TopicSpec } from "../matching/topics.ts";
import { embedNewPapers } from "./paper-embeddings.ts";

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
