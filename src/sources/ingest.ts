// Takes a source batch in: its papers stored (store.ts), then counted into the
// corpus statistics, their term associations refreshed, embedded, and their
// thumbnails fetched.
import { papersIngested } from "../metrics.ts";
import type { Db } from "../db/client.ts";
import type { Embedder } from "../matching/embedder.ts";
import { countNewPapers } from "./corpus-stats.ts";
import { refreshAssociations } from "./term-associations.ts";
import { keyTerms } from "../matching/associations.ts";
import { embedNewPapers, type EmbeddingResult } from "./paper-embeddings.ts";
import { upsertPapers } from "./store.ts";
import type { PaperInput, RejectedRecord, SourceBatch } from "./source.ts";
import { fetchThumbnails, type ThumbnailResult, type ThumbnailSettings } from "./thumbnails.ts";

export type IngestResult = {
  source: string;
  fetched: number;
  created: number;
  updated: number;
  rejected: RejectedRecord[];
  /** With an embedder: papers embedded after the write, and why the server failed (the papers wait for the next call). */
  embeddings?: EmbeddingResult;
  /** With thumbnail settings: thumbnails stored and failed, and the last failure. */
  thumbnails?: ThumbnailResult;
};

export type IngestExtras = { embedder?: Embedder; thumbnails?: ThumbnailSettings; now?: () => Date };

/**
 * Upserts the batch's papers keyed by arXiv id: new papers are created, known ones
 * get fresh community counts and metadata but keep the day they were first
 * featured. All or nothing; safe to run again with the same batch. Then the new
 * papers are counted into the corpus statistics, the term associations they bear
 * on are refreshed, and, given an embedder, the papers are embedded and, given
 * thumbnail settings, their thumbnails fetched (a failing embeddings server or
 * image host is reported in the result, never thrown).
 */
export async function ingestBatch(db: Db, batch: SourceBatch, extras: IngestExtras = {}): Promise<IngestResult> {
  const papers = mergeById(batch.papers);
  const { fresh, freshKeys, seen } = await upsertPapers(db, papers, batch.source);
  // This batch's new papers were counted as they were inserted; any left from before the counts existed are counted now.
  await refreshAssociations(db, [...freshKeys, ...(await countNewPapers(db))]);
  const result: IngestResult = { source: batch.source, fetched: batch.papers.length, created: fresh.length, updated: seen, rejected: batch.rejected };
  papersIngested.inc({ source: batch.source, result: "new" }, fresh.length);
  papersIngested.inc({ source: batch.source, result: "updated" }, seen);
  papersIngested.inc({ source: batch.source, result: "rejected" }, batch.rejected.length);
  if (extras.embedder) result.embeddings = await embedNewPapers(db, extras.embedder);
  if (extras.thumbnails && extras.thumbnails.origins.length > 0) result.thumbnails = await fetchThumbnails(db, extras.thumbnails, (extras.now ?? (() => new Date()))());
  return result;
}

// The same paper listed twice in one batch (two days' files): keep the first
// listing day and the latest counts.
function mergeById(papers: PaperInput[]): PaperInput[] {
  const byId = new Map<string, PaperInput>();
  for (const paper of papers) {
    const earlier = byId.get(paper.arxivId);
    byId.set(paper.arxivId, earlier ? { ...paper, featuredOn: earlier.featuredOn < paper.featuredOn ? earlier.featuredOn : paper.featuredOn } : paper);
  }
  return [...byId.values()];
}
