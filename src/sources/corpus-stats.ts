// Corpus statistics in the database (TermFrequency): in how many papers each term
// occurs, over every paper ever ingested, and each paper's key terms for term
// associations. Papers are counted once, after ingest (or on first use, for
// papers ingested before the table existed). Raw SQL: one
// statement per batch of terms, where Prisma would need one per term.
import { sql, type Db } from "../db/client.ts";
import { keyTerms } from "../matching/associations.ts";
import { documentTerms, type CorpusStats } from "../matching/corpus.ts";

const BATCH = 500;

/**
 * Counts the terms of every paper not counted yet, BATCH papers per transaction;
 * papers another process is counting are skipped (FOR UPDATE SKIP LOCKED), so
 * none is counted twice. Returns how many this call counted.
 */
export async function countNewPapers(db: Db): Promise<number> {
  let counted = 0;
  for (;;) {
    const done = await db.$transaction(async (tx) => {
      const papers = await tx.$queryRawUnsafe<Array<{ id: number; title: string; abstract: string; aiKeywords: string[] }>>(
        `SELECT id, title, abstract, COALESCE("aiKeywords", ARRAY[]::text[]) AS "aiKeywords" FROM "Paper" WHERE NOT "termsCounted" ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      );
      if (papers.length === 0) return 0;
      const frequency = new Map<string, number>();
      for (const paper of papers) for (const term of documentTerms(paper)) frequency.set(term, (frequency.get(term) ?? 0) + 1);
      await tx.$executeRawUnsafe(
        `INSERT INTO "TermFrequency" (term, papers) SELECT * FROM unnest($1::text[], $2::int[])
         ON CONFLICT (term) DO UPDATE SET papers = "TermFrequency".papers + EXCLUDED.papers`,
        [...frequency.keys()],
        [...frequency.values()],
      );
      // One write per paper: its key terms and that it is counted.
      await tx.$executeRawUnsafe(
        `UPDATE "Paper" SET "keyTerms" = string_to_array(k.terms, ' '), "termsCounted" = true FROM unnest($1::int[], $2::text[]) AS k(id, terms) WHERE "Paper".id = k.id`,
        papers.map((paper) => paper.id),
        papers.map((paper) => keyTerms(paper).join(" ")),
      );
      return papers.length;
    });
    counted += done;
    if (done < BATCH) return counted;
  }
}

/** The statistics for `terms` (other terms count as rare): the number of papers counted and each term's document frequency. */
export async function loadCorpusStats(db: Db, terms: Iterable<string>): Promise<CorpusStats> {
  const list = [...new Set(terms)];
  const [size, rows] = await Promise.all([
    sql<{ papers: number }>(db, `SELECT count(*)::int AS papers FROM "Paper" WHERE "termsCounted"`, []),
    list.length === 0 ? [] : sql<{ term: string; papers: number }>(db, `SELECT term, papers FROM "TermFrequency" WHERE term = ANY($1::text[])`, [list]),
  ]);
  return { papers: size[0]?.papers ?? 0, df: new Map(rows.map((row) => [row.term, row.papers])) };
}
