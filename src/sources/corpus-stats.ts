// Corpus statistics in the database (TermFrequency): in how many papers each term
// occurs, over every paper ever ingested, and each paper's key terms for term
// associations. A paper is counted once: as it is inserted (see store.ts), or
// after, for papers ingested before the table existed. Raw SQL: one
// statement per batch of terms, where Prisma would need one per term.
import { sql, transaction, type Db, type Query } from "../db/client.ts";
import { paperTerms } from "../matching/associations.ts";
import type { CorpusStats } from "../matching/corpus.ts";

const BATCH = 500;

/**
 * Counts the terms of every paper not counted yet, BATCH papers per transaction;
 * papers another process is counting are skipped (FOR UPDATE SKIP LOCKED), so
 * none is counted twice. Returns the key terms of each paper this call counted
 * (for term associations).
 */
export async function countNewPapers(db: Db): Promise<string[][]> {
  const counted: string[][] = [];
  for (;;) {
    const done = await transaction(db, async (query) => {
      const papers = await query<{ id: number; title: string; abstract: string; aiKeywords: string[] }>(
        `SELECT id, title, abstract, COALESCE("aiKeywords", ARRAY[]::text[]) AS "aiKeywords" FROM "Paper" WHERE NOT "termsCounted" ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
        [],
      );
      const counted = papers.map(paperTerms);
      const keys = counted.map(({ key }) => key);
      if (papers.length === 0) return keys;
      await addTermCounts(
        query,
        counted.map(({ terms }) => terms),
      );
      // One write per paper: its key terms and that it is counted.
      await query(`UPDATE "Paper" SET "keyTerms" = string_to_array(k.terms, ' '), "termsCounted" = true FROM unnest($1::int[], $2::text[]) AS k(id, terms) WHERE "Paper".id = k.id`, [
        papers.map((paper) => paper.id),
        keys.map((key) => key.join(" ")),
      ]);
      return keys;
    });
    counted.push(...done);
    if (done.length < BATCH) return counted;
  }
}

/**
 * Adds one paper to the document frequency of each term of each paper in `papers`
 * (their paperTerms), in the caller's transaction: the papers are marked counted
 * in the same one, so that each is counted exactly once.
 */
export async function addTermCounts(query: Query, papers: Iterable<ReadonlySet<string>>): Promise<void> {
  const frequency = new Map<string, number>();
  for (const terms of papers) for (const term of terms) frequency.set(term, (frequency.get(term) ?? 0) + 1);
  if (frequency.size === 0) return;
  // In term order, so two ingests counting at once lock the rows they share in the same order.
  const terms = [...frequency.keys()].sort();
  await query(
    `INSERT INTO "TermFrequency" (term, papers) SELECT * FROM unnest($1::text[], $2::int[])
     ON CONFLICT (term) DO UPDATE SET papers = "TermFrequency".papers + EXCLUDED.papers`,
    [terms, terms.map((term) => frequency.get(term))],
  );
}

/** The number of papers whose terms are counted (the N of the corpus statistics). */
export async function countedPapers(db: Db): Promise<number> {
  const rows = await sql<{ papers: number }>(db, `SELECT count(*)::int AS papers FROM "Paper" WHERE "termsCounted"`, []);
  return rows[0]?.papers ?? 0;
}

/** The document frequency of each of `terms` that occurs in a counted paper. */
export async function loadDocumentFrequencies(db: Db, terms: Iterable<string>): Promise<Map<string, number>> {
  const list = [...new Set(terms)];
  if (list.length === 0) return new Map();
  const rows = await sql<{ term: string; papers: number }>(db, `SELECT term, papers FROM "TermFrequency" WHERE term = ANY($1::text[])`, [list]);
  return new Map(rows.map((row) => [row.term, row.papers]));
}

/** The statistics for `terms` (other terms count as rare): the number of papers counted and each term's document frequency. */
export async function loadCorpusStats(db: Db, terms: Iterable<string>): Promise<CorpusStats> {
  const [papers, df] = await Promise.all([countedPapers(db), loadDocumentFrequencies(db, terms)]);
  return { papers, df };
}
