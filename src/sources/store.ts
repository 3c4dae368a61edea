// The Paper table: ingest's upsert, and the reads of stored papers for the other
// stages and the web pages (Prisma: typed single-table statements).
import { sql, transaction, type Db } from "../db/client.ts";
import { dayStart, toDay } from "../days.ts";
import { paperTerms } from "../matching/associations.ts";
import { addTermCounts } from "./corpus-stats.ts";
import type { PaperInput } from "./source.ts";

/** The newest paper's id (0 before the first ingest): papers ingested later have larger ids. */
export async function newestPaperId(db: Db): Promise<number> {
  // Raw: every preview asks, and Prisma's query compiler costs more than the query.
  const [newest] = await sql<{ id: number }>(db, `SELECT coalesce(max(id), 0)::int AS id FROM "Paper"`, []);
  return newest?.id ?? 0;
}

/** The newest listing day (YYYY-MM-DD), or undefined before the first ingest. */
export async function newestListingDay(db: Db): Promise<string | undefined> {
  const newest = await db.paper.aggregate({ _max: { featuredOn: true } });
  return newest._max.featuredOn ? toDay(newest._max.featuredOn) : undefined;
}

/** The newest listing day's papers, most upvoted first (`take` of them), or undefined before the first ingest. */
export async function newestListing(db: Db, take: number) {
  const day = await newestListingDay(db);
  if (!day) return undefined;
  const papers = await db.paper.findMany({ where: { featuredOn: dayStart(day) }, orderBy: [{ upvotes: "desc" }, { arxivId: "asc" }], take, include: WITH_THUMBNAIL });
  return { day, papers: papers.map(({ thumbnail, ...paper }) => ({ ...paper, thumbnail: thumbnailSize(thumbnail) })) };
}

/** Titles of the stored papers among `arxivIds`, by arXiv id. */
export async function paperTitles(db: Db, arxivIds: string[]): Promise<Map<string, string>> {
  if (arxivIds.length === 0) return new Map();
  const rows = await db.paper.findMany({ where: { arxivId: { in: arxivIds } }, select: { arxivId: true, title: true } });
  return new Map(rows.map((paper) => [paper.arxivId, paper.title]));
}

/** The stored papers with these ids, by id (ids no longer stored are missing). */
export async function papersById(db: Db, ids: number[]) {
  const papers = ids.length === 0 ? [] : await db.paper.findMany({ where: { id: { in: ids } }, include: WITH_THUMBNAIL });
  return new Map(papers.map(({ thumbnail, ...paper }) => [paper.id, { ...paper, thumbnail: thumbnailSize(thumbnail) }]));
}

/** The stored thumbnail (a JPEG, see thumbnails.ts) of the paper with `arxivId`, or undefined. */
export async function loadThumbnail(db: Db, arxivId: string): Promise<{ bytes: Uint8Array; storedAt: Date } | undefined> {
  const row = await db.thumbnail.findFirst({ where: { paper: { arxivId }, bytes: { not: null } }, select: { bytes: true, checkedAt: true } });
  return row?.bytes ? { bytes: row.bytes, storedAt: row.checkedAt } : undefined;
}

/** Prisma `include`/`select` of a paper's stored thumbnail size (see thumbnails.ts). */
export const WITH_THUMBNAIL = { thumbnail: { select: { width: true, height: true } } } as const;

/** The stored thumbnail's size, or null when there is none (or its fetch failed). */
export function thumbnailSize(row: { width: number | null; height: number | null } | null): { width: number; height: number } | null {
  return row?.width && row.height ? { width: row.width, height: row.height } : null;
}

/**
 * Upserts papers keyed by arXiv id, all or nothing: new papers are created, known
 * ones get fresh community counts and metadata but keep the day they were first
 * featured. A new paper's words are counted in the corpus statistics in the same
 * transaction (see corpus-stats.ts), with its key terms stored in its row. Returns
 * the papers created, with their key terms (for term associations), and how many
 * known ones were updated.
 */
export async function upsertPapers(db: Db, papers: PaperInput[], source: string): Promise<{ fresh: PaperInput[]; freshKeys: string[][]; seen: number }> {
  const terms = new Map<string, ReturnType<typeof paperTerms>>();
  const inserted = new Set<string>();
  await transaction(db, async (query) => {
    // Words are counted only for papers not stored yet (a re-ingest is mostly known papers); one stored meanwhile is simply updated.
    const known = new Set((await query<{ arxivId: string }>(`SELECT "arxivId" FROM "Paper" WHERE "arxivId" = ANY($1::text[])`, [papers.map((paper) => paper.arxivId)])).map((row) => row.arxivId));
    for (const paper of papers) if (!known.has(paper.arxivId)) terms.set(paper.arxivId, paperTerms({ title: paper.title, abstract: paper.abstract, aiKeywords: paper.aiKeywords ?? [] }));
    for (const { text, values } of upsertStatements(papers, source, terms))
      for (const row of await query<{ arxivId: string; inserted: boolean }>(text, values)) if (row.inserted) inserted.add(row.arxivId);
    await addTermCounts(
      query,
      [...inserted].flatMap((arxivId) => (terms.has(arxivId) ? [terms.get(arxivId)!.terms] : [])),
    );
  });
  const fresh = papers.filter((paper) => inserted.has(paper.arxivId));
  return { fresh, freshKeys: fresh.flatMap((paper) => (terms.has(paper.arxivId) ? [terms.get(paper.arxivId)!.key] : [])), seen: papers.length - fresh.length };
}

/** SQL types of the columns a source writes (see toRow). */
const COLUMN_TYPES: Record<string, string> = {
  title: "text",
  abstract: "text",
  authors: "text[]",
  source: "text",
  categories: "text[]",
  primaryCategory: "text",
  arxivComment: "text",
  doi: "text",
  journalRef: "text",
  aiSummary: "text",
  aiKeywords: "text[]",
  upvotes: "int",
  comments: "int",
  githubUrl: "text",
  githubStars: "int",
  projectUrl: "text",
  thumbnailUrl: "text",
  publishedAt: "timestamp(3)",
  featuredOn: "date",
  keyTerms: "text[]",
  termsCounted: "boolean",
};

/** Rows by the columns they have (arxivId first), so that each set is one statement. */
function byShape(rows: Array<Record<string, unknown>>): Array<{ columns: string[]; rows: Array<Record<string, unknown>> }> {
  const groups = new Map<string, Array<Record<string, unknown>>>();
  for (const row of rows) {
    const key = Object.keys(row)
      .filter((column) => column !== "arxivId")
      .join(",");
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(row);
  }
  return [...groups].map(([key, rows]) => ({ columns: key.split(","), rows }));
}

const quoted = (column: string) => `"${column}"`;
/** The record type jsonb_to_recordset reads `columns` (and arxivId) as. */
const recordType = (columns: string[]) => `v("arxivId" text, ${columns.map((column) => `${quoted(column)} ${COLUMN_TYPES[column]}`).join(", ")})`;

/**
 * The papers as one INSERT … SELECT FROM jsonb_to_recordset … ON CONFLICT DO
 * UPDATE per set of columns the papers have (a source's papers mostly share one):
 * a new paper gets its listing day, and empty lists for what its source does not
 * know (arXiv has no keywords, HF no categories), never NULL; a known one gets the
 * columns its source knows, and keeps the rest and the day it was first featured.
 * RETURNING tells which rows were inserted (xmax is 0 only for a new row version
 * that no update made).
 */
function upsertStatements(papers: PaperInput[], source: string, terms: ReadonlyMap<string, { key: string[] }>) {
  const listed = new Map(papers.map((paper) => [paper.arxivId, paper.featuredOn]));
  return byShape(papers.map((paper) => toRow(paper, source))).map(({ columns, rows }) => {
    const values = (column: string) => (columns.includes(column) ? `v.${quoted(column)}` : `'{}'::text[]`);
    const inserted = [...columns, ...["categories", "aiKeywords"].filter((column) => !columns.includes(column))];
    // Only a new row takes the key terms and is marked counted (a known paper was counted when it was new); a
    // paper taken for known that turns out new (deleted meanwhile) is left uncounted, for countNewPapers.
    const newOnly = ["featuredOn", "keyTerms", "termsCounted"];
    return {
      text: `INSERT INTO "Paper" ("arxivId", ${inserted.map(quoted).join(", ")}, "featuredOn", "keyTerms", "termsCounted", "updatedAt")
       SELECT v."arxivId", ${inserted.map(values).join(", ")}, v."featuredOn", v."keyTerms", v."termsCounted", CURRENT_TIMESTAMP FROM jsonb_to_recordset($1::jsonb) AS ${recordType([...columns, ...newOnly])}
       ON CONFLICT ("arxivId") DO UPDATE SET ${columns.map((column) => `${quoted(column)} = EXCLUDED.${quoted(column)}`).join(", ")}, "updatedAt" = CURRENT_TIMESTAMP
       RETURNING "arxivId", (xmax = 0) AS inserted`,
      values: [
        JSON.stringify(
          rows.map((row) => ({ ...row, featuredOn: listed.get(row.arxivId as string), keyTerms: terms.get(row.arxivId as string)?.key ?? [], termsCounted: terms.has(row.arxivId as string) })),
        ),
      ],
    };
  });
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
