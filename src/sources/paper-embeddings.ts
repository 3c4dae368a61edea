// Paper vectors for dense matching, computed once after ingest (and on first use
// for papers ingested while the embeddings server was down or another model was
// configured), stored in Paper.embedding with the model that made them.
import type { Db } from "../db/client.ts";
import { describeError } from "../errors.ts";
import { encodeVector, paperEmbeddingText, type Embedder } from "../matching/embedder.ts";

/** Papers per claim: one request to the server (its batch size), one transaction. */
const BATCH = 64;
/** Papers per call, newest first: a first run over a large archive is spread over several ingests. */
const MAX_PER_CALL = 2048;
/** A claim holds its rows while the server answers; the client's own timeout (60 s) ends a hung request first. */
const CLAIM_TIMEOUT_MS = 90_000;

export type EmbeddingResult = { embedded: number; error?: string };

/**
 * Embeds the papers that have no vector from `embedder.model`, newest first, BATCH
 * per transaction; papers another process is embedding are skipped (FOR UPDATE
 * SKIP LOCKED), so none is embedded twice. A server failure stops the call and is
 * returned, never thrown: the papers stay without a vector for the next call.
 */
export async function embedNewPapers(db: Db, embedder: Embedder): Promise<EmbeddingResult> {
  let embedded = 0;
  try {
    while (embedded < MAX_PER_CALL) {
      const done = await db.$transaction(
        async (tx) => {
          const papers = await tx.$queryRawUnsafe<Array<{ id: number; title: string; abstract: string }>>(
            `SELECT id, title, abstract FROM "Paper" WHERE "embeddingModel" IS DISTINCT FROM $1 ORDER BY id DESC LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
            embedder.model,
          );
          if (papers.length === 0) return 0;
          const vectors = await embedder.embed(papers.map(paperEmbeddingText));
          for (const [i, paper] of papers.entries()) {
            await tx.paper.update({ where: { id: paper.id }, data: { embedding: encodeVector(vectors[i]!), embeddingModel: embedder.model } });
          }
          return papers.length;
        },
        { timeout: CLAIM_TIMEOUT_MS },
      );
      embedded += done;
      if (done < BATCH) break;
    }
  } catch (error) {
    return { embedded, error: describeError(error) };
  }
  return { embedded };
}
