// Dense embeddings (optional): the port an embedding server implements, and the
// vector arithmetic matching needs (pure).

/** Turns texts into vectors, one per text in order, all of one length. Throws when the server fails. */
export type Embedder = {
  /** Stored with each paper's vector: a vector from another model is computed again. */
  model: string;
  embed(texts: string[]): Promise<Float32Array[]>;
};

/**
 * Characters of title + abstract sent for a paper: about 450 tokens, under the
 * 512-token limit of small BERT-style models, which TEI refuses to exceed unless
 * started with --auto-truncate (an abstract is ~1,500 characters).
 */
export const MAX_EMBED_CHARS = 2000;

/** The text a paper is embedded from: title, a newline, the abstract, bounded. */
export function paperEmbeddingText(paper: { title: string; abstract: string }): string {
  return `${paper.title}\n${paper.abstract}`.slice(0, MAX_EMBED_CHARS);
}

/** Cosine similarity, -1..1; 0 when either vector is all zeros or their lengths differ. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/** The vector scaled to length 1 (all zeros stays zeros): then a dot product is the cosine. */
export function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm === 0) return vector;
  const scale = 1 / Math.sqrt(norm);
  return vector.map((value) => value * scale);
}

/** The dot product of two vectors of one length (0 when the lengths differ). */
export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** The vector as stored: float32, little-endian. */
export function encodeVector(vector: Float32Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i]!, true);
  return bytes;
}

/** Reads a stored vector; undefined for a byte length that is not a whole number of floats. */
export function decodeVector(bytes: Uint8Array): Float32Array | undefined {
  if (bytes.length === 0 || bytes.length % 4 !== 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const vector = new Float32Array(bytes.length / 4);
  for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(i * 4, true);
  return vector;
}
