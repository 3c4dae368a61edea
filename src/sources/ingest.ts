// Writes a source batch to the Paper table in one transaction.
import type { Db } from "../db/client.ts";
import type { Embedder } from "../matching/embedder.ts";
import { countNewPapers } from "./corpus-stats.ts";
import { refreshAssociations } from "./term-associations.ts";
import { keyTerms } from "../matching/associations.ts";
import { embedNewPapers, type EmbeddingResult } from "./paper-embeddings.ts";
import type { PaperInput, RejectedRecord, SourceBatch } from "./source.ts";

export type IngestResult = {
  source: string;
  fetched: number;
  created: number;
  updated: number;
  rejected: RejectedRecord[];
  /** With an embedder: papers embedded after the write, and why the server failed (the papers wait for the next call). */
  embeddings?: EmbeddingResult;
};

/**
 * Upserts the batch's papers keyed by arXiv id: new papers are created, known ones
 * get fresh community counts and metadata but keep the day they were first
 * featured. All or nothing; safe to run again with the same batch. Then the new
 * papers are counted into the corpus statistics, the term associations they bear
 * on are refreshed, and, given an embedder, the papers are embedded
 * (a failing embeddings server is reported in the result, never thrown).
 */
export async function ingestBatch(db: Db, batch: SourceBatch, embedder?: Embedder): Promise<IngestResult> {
  const papers = mergeById(batch.papers);
  const known = await db.paper.findMany({ where: { arxivId: { in: papers.map((paper) => paper.arxivId) } }, select: { arxivId: true } });
  const knownIds = new Set(known.map((paper) => paper.arxivId));
  const fresh = papers.filter((paper) => !knownIds.has(paper.arxivId));
  const seen = papers.filter((paper) => knownIds.has(paper.arxivId));

  await db.$transaction([
    // A source without categories or AI keywords (arXiv has no keywords, HF no categories) still stores empty lists, never NULL.
    db.paper.createMany({ skipDuplicates: true, data: fresh.map((paper) => ({ categories: [], aiKeywords: [], ...toRow(paper, batch.source), featuredOn: toDay(paper.featuredOn) })) }),
    ...seen.map((paper) => db.paper.update({ where: { arxivId: paper.arxivId }, data: toRow(paper, batch.source) })),
  ]);
  await countNewPapers(db);
  await refreshAssociations(
    db,
    fresh.map((paper) => keyTerms({ title: paper.title, abstract: paper.abstract, aiKeywords: paper.aiKeywords ?? [] })),
  );
  const result: IngestResult = { source: batch.source, fetched: batch.papers.length, created: fresh.length, updated: seen.length, rejected: batch.rejected };
  if (embedder) result.embeddings = await embedNewPapers(db, embedder);
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

/**
 * The columns this source knows. Fields it does not provide stay as another source
 * wrote them (HF's upvotes survive an arXiv ingest, arXiv's categories an HF one).
 */
function toRow(paper: PaperInput, source: string) {
  const row: Record<string, unknown> = { arxivId: paper.arxivId, title: paper.title, abstract: paper.abstract, authors: paper.authors, source };
  const optional: Array<keyof PaperInput> = [
    "categories",
    "primaryCategory",
    "arxivComment",
    "doi",
    "journalRef",
    "aiSummary",
    "aiKeywords",
    "upvotes",
    "comments",
    "githubUrl",
    "githubStars",
    "projectUrl",
    "thumbnailUrl",
    "publishedAt",
  ];
  for (const key of optional) if (paper[key] !== undefined) row[key] = paper[key];
  return row as { arxivId: string; title: string; abstract: string; authors: string[]; source: string };
}

function toDay(day: string): Date {
  return new Date(`${day}T00:00:00.000Z`);
}
