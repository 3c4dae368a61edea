// Reads of stored papers for the other stages and the web pages (Prisma: typed
// single-table reads). Writes are ingest.ts's, in one statement per batch.
import type { Db } from "../db/client.ts";

/** The newest listing day's papers, most upvoted first (`take` of them), or undefined before the first ingest. */
export async function newestListing(db: Db, take: number) {
  const newest = await db.paper.aggregate({ _max: { featuredOn: true } });
  const day = newest._max.featuredOn;
  if (!day) return undefined;
  const papers = await db.paper.findMany({ where: { featuredOn: day }, orderBy: [{ upvotes: "desc" }, { arxivId: "asc" }], take });
  return { day: day.toISOString().slice(0, 10), papers };
}

/** Titles of the stored papers among `arxivIds`, by arXiv id. */
export async function paperTitles(db: Db, arxivIds: string[]): Promise<Map<string, string>> {
  if (arxivIds.length === 0) return new Map();
  const rows = await db.paper.findMany({ where: { arxivId: { in: arxivIds } }, select: { arxivId: true, title: true } });
  return new Map(rows.map((paper) => [paper.arxivId, paper.title]));
}
