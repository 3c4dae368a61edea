// Reads of stored papers for the other stages and the web pages (Prisma: typed
// single-table reads). Writes are ingest.ts's, in one statement per batch.
import type { Db } from "../db/client.ts";
import { dayStart } from "../days.ts";

/** The newest paper's id (0 before the first ingest): papers ingested later have larger ids. */
export async function newestPaperId(db: Db): Promise<number> {
  const newest = await db.paper.aggregate({ _max: { id: true } });
  return newest._max.id ?? 0;
}

/** The newest listing day (YYYY-MM-DD), or undefined before the first ingest. */
export async function newestListingDay(db: Db): Promise<string | undefined> {
  const newest = await db.paper.aggregate({ _max: { featuredOn: true } });
  return newest._max.featuredOn ? newest._max.featuredOn.toISOString().slice(0, 10) : undefined;
}

/** The newest listing day's papers, most upvoted first (`take` of them), or undefined before the first ingest. */
export async function newestListing(db: Db, take: number) {
  const day = await newestListingDay(db);
  if (!day) return undefined;
  const papers = await db.paper.findMany({ where: { featuredOn: dayStart(day) }, orderBy: [{ upvotes: "desc" }, { arxivId: "asc" }], take });
  return { day, papers };
}

/** Titles of the stored papers among `arxivIds`, by arXiv id. */
export async function paperTitles(db: Db, arxivIds: string[]): Promise<Map<string, string>> {
  if (arxivIds.length === 0) return new Map();
  const rows = await db.paper.findMany({ where: { arxivId: { in: arxivIds } }, select: { arxivId: true, title: true } });
  return new Map(rows.map((paper) => [paper.arxivId, paper.title]));
}

/** The stored papers with these ids, by id (ids no longer stored are missing). */
export async function papersById(db: Db, ids: number[]) {
  const papers = ids.length === 0 ? [] : await db.paper.findMany({ where: { id: { in: ids } } });
  return new Map(papers.map((paper) => [paper.id, paper]));
}
