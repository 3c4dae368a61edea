// An Embedder for any server that speaks OpenAI's POST /v1/embeddings (Ollama,
// llama.cpp's server, Hugging Face TEI, vLLM, OpenAI itself).
import { AppError } from "../errors.ts";
import type { Embedder } from "../matching/embedder.ts";
import { describeFetchError, describeHttpStatus } from "./describe-fetch-error.ts";

export type OpenAiEmbedderOptions = {
  /** Base URL, with or without /v1 (http://localhost:11434 or http://localhost:11434/v1). */
  url: string;
  model: string;
  /** Sent as a bearer token when set; never logged. */
  key?: string;
  /** Inputs per request. */
  batchSize?: number;
  timeoutMs?: number;
  /** Injected for tests; defaults to global fetch. */
  fetch?: typeof fetch;
};

const DEFAULTS = { batchSize: 64, timeoutMs: 60_000 };

type EmbeddingsAnswer = { data?: Array<{ index?: unknown; embedding?: unknown }> };

/**
 * The embedder for `url`: texts are sent BATCH at a time, answers checked (one
 * vector per input, by `index`, all of one length, finite numbers). Throws
 * EMBEDDINGS_UNAVAILABLE (network, timeout, HTTP status) or EMBEDDINGS_MALFORMED.
 */
export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Embedder {
  const { batchSize, timeoutMs } = { ...DEFAULTS, ...options };
  const endpoint = embeddingsEndpoint(options.url);
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (options.key) headers.authorization = `Bearer ${options.key}`;

  async function embedBatch(input: string[]): Promise<Float32Array[]> {
    let response: Response;
    let text: string;
    try {
      response = await doFetch(endpoint, { method: "POST", headers, body: JSON.stringify({ model: options.model, input }), signal: AbortSignal.timeout(timeoutMs) });
      text = await response.text();
    } catch (error) {
      throw new AppError("EMBEDDINGS_UNAVAILABLE", `embeddings server ${endpoint}: ${describeFetchError(error, endpoint, timeoutMs)}`, { permanent: false, cause: error });
    }
    if (!response.ok) {
      const detail = text.replace(/\s+/g, " ").trim().slice(0, 200);
      throw new AppError("EMBEDDINGS_UNAVAILABLE", `embeddings server ${endpoint} answered ${describeHttpStatus(response.status)}${detail ? `: ${detail}` : ""}`, {
        permanent: response.status < 500 && response.status !== 429,
      });
    }
    return readVectors(text, input.length, endpoint);
  }

  return {
    model: options.model,
    async embed(texts) {
      const vectors: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += batchSize) vectors.push(...(await embedBatch(texts.slice(start, start + batchSize))));
      const length = vectors[0]?.length;
      if (vectors.some((vector) => vector.length !== length)) throw malformed(endpoint, "vectors of different lengths across requests");
      return vectors;
    },
  };
}

/** `${base}/v1/embeddings`, whether or not the base already ends in /v1. */
export function embeddingsEndpoint(url: string): string {
  const base = url.replace(/\/+$/, "");
  return /\/v1$/.test(base) ? `${base}/embeddings` : `${base}/v1/embeddings`;
}

function readVectors(text: string, count: number, endpoint: string): Float32Array[] {
  let answer: EmbeddingsAnswer;
  try {
    answer = JSON.parse(text) as EmbeddingsAnswer;
  } catch {
    throw malformed(endpoint, `the answer is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (!Array.isArray(answer?.data)) throw malformed(endpoint, "the answer has no data array");
  if (answer.data.length !== count) throw malformed(endpoint, `${answer.data.length} vectors for ${count} inputs`);
  const vectors: Array<Float32Array | undefined> = new Array(count);
  answer.data.forEach((item, position) => {
    // OpenAI returns them in order with their index; a server that omits index is taken in order.
    const index = item?.index === undefined ? position : item.index;
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= count || vectors[index])
      throw malformed(endpoint, `item ${position} has a bad or repeated index ${JSON.stringify(index)}`);
    const embedding = item.embedding;
    if (!Array.isArray(embedding) || embedding.length === 0) throw malformed(endpoint, `item ${position} has no embedding array (a base64 answer is not supported)`);
    if (!embedding.every((value) => typeof value === "number" && Number.isFinite(value))) throw malformed(endpoint, `item ${position} has a value that is not a finite number`);
    vectors[index] = Float32Array.from(embedding as number[]);
  });
  const result = vectors as Float32Array[];
  if (result.some((vector) => vector.length !== result[0]!.length)) throw malformed(endpoint, "vectors of different lengths");
  return result;
}

function malformed(endpoint: string, problem: string): AppError {
  return new AppError("EMBEDDINGS_MALFORMED", `embeddings server ${endpoint}: ${problem}`);
}
