// Term associations in the database (TermAssociation): the words associated with
// each wording of the subscribed topics, counted over every paper's key terms
// (see matching/associations.ts). An ingest refreshes the wordings its new papers
// bear on; a wording met first at planning is worked out then, and kept.
import { sql, type Db } from "../db/client.ts";
import { associatedTerms, associationKey, MIN_SHARE, MIN_TOGETHER, SAMPLE_PAPERS, type AssociatedTerm, type Cooccurrence } from "../matching/associations.ts";
import { compileTopic, type TopicSpec } from "../matching/topics.ts";
import { countedPapers } from "./corpus-stats.ts";

/** The association keys of a topic's wordings; none for kinds that are not ranked queries. */
export function associationKeys(topic: TopicSpec): string[] {
  if (topic.kind !== "keyword" && topic.kind !== "phrase") return [];
  return compileTopic(topic).queries.map((query) => associationKey(query.words.map((word) => word.term)));
}

/**
 * The stored associations of `keys`; those never worked out are worked out now and
 * stored (with `store: false`, only worked out: a preview of words being typed).
 * `papers`, when the caller knows it, is the number of papers counted.
 */
export async function loadAssociations(db: Db, keys: Iterable<string>, options: { store?: boolean; papers?: number } = {}): Promise<Map<string, AssociatedTerm[]>> {
  const wanted = [...new Set(keys)].filter((key) => key !== "");
  if (wanted.length === 0) return new Map();
  const rows = await sql<{ key: string; terms: AssociatedTerm[] }>(db, `SELECT key, terms FROM "TermAssociation" WHERE key = ANY($1::text[])`, [wanted]);
  const found = new Map(rows.map((row) => [row.key, row.terms]));
  const missing = wanted.filter((key) => !found.has(key));
  for (const [key, terms] of await computeAssociations(db, missing, options.store ?? true, options.papers)) found.set(key, terms);
  return found;
}

/**
 * After an ingest: works out again the associations of every subscribed topic's
 * wordings whose terms all occur in one of the new papers (the only ones whose
 * co-occurrence changed). Returns how many wordings were refreshed.
 */
export async function refreshAssociations(db: Db, newPapers: ReadonlyArray<readonly string[]>): Promise<number> {
  if (newPapers.length === 0) return 0;
  const topics = await sql<TopicSpec>(
    db,
    `SELECT kind::text AS kind, query FROM "Topic" t WHERE kind IN ('keyword', 'phrase') AND EXISTS (SELECT 1 FROM "SubscriberTopic" st WHERE st."topicId" = t.id)`,
    [],
  );
  const sets = newPapers.map((terms) => new Set(terms));
  const keys = new Set(topics.flatMap(associationKeys).filter((key) => key !== "" && sets.some((terms) => key.split(" ").every((term) => terms.has(term)))));
  return (await computeAssociations(db, keys)).size;
}

async function computeAssociations(db: Db, keys: Iterable<string>, store = true, papers?: number): Promise<Map<string, AssociatedTerm[]>> {
  const list = [...keys];
  if (list.length === 0) return new Map();
  const [cooccurrence, size] = await Promise.all([loadCooccurrence(db, list), papers ?? countedPapers(db)]);
  const stats = { papers: size, df: new Map<string, number>() };
  const computed = new Map([...cooccurrence].map(([key, counts]) => [key, associatedTerms(counts, stats, new Set(key.split(" ")))]));
  if (!store) return computed;
  await db.$executeRawUnsafe(
    `INSERT INTO "TermAssociation" (key, terms) SELECT * FROM unnest($1::text[], $2::jsonb[])
     ON CONFLICT (key) DO UPDATE SET terms = EXCLUDED.terms, "computedAt" = CURRENT_TIMESTAMP`,
    [...computed.keys()],
    [...computed.values()].map((terms) => JSON.stringify(terms)),
  );
  return computed;
}

/**
 * Co-occurrence for each association key (see associations.ts): among the
 * SAMPLE_PAPERS most recent papers with all of the key's terms, how many have
 * each key term — only terms common enough there to be associated (MIN_SHARE,
 * MIN_TOGETHER). One statement for all keys.
 */
async function loadCooccurrence(db: Db, keys: Iterable<string>): Promise<Map<string, Cooccurrence>> {
  const list = [...new Set(keys)].filter((key) => key !== "");
  const found = new Map<string, { papers: number; together: Map<string, number>; df: Map<string, number> }>(list.map((key) => [key, { papers: 0, together: new Map(), df: new Map() }]));
  if (list.length === 0) return found;
  const rows = await sql<{ key: string; term: string; together: number; papers: number; df: number | null }>(
    db,
    `WITH sample AS (
       SELECT q.key, p."keyTerms" FROM unnest($1::text[]) AS q(key)
       CROSS JOIN LATERAL (SELECT "keyTerms" FROM "Paper" WHERE "keyTerms" @> string_to_array(q.key, ' ') ORDER BY id DESC LIMIT ${SAMPLE_PAPERS}) AS p
     ), sizes AS (SELECT key, count(*) AS papers FROM sample GROUP BY key),
     counted AS (
       SELECT s.key, t.term, count(*) AS together FROM sample s CROSS JOIN LATERAL unnest(s."keyTerms") AS t(term) GROUP BY s.key, t.term
     )
     SELECT c.key, c.term, c.together::int AS together, z.papers::int AS papers, f.papers AS df
     FROM counted c JOIN sizes z ON z.key = c.key LEFT JOIN "TermFrequency" f ON f.term = c.term
     WHERE c.together >= GREATEST($2::int, $3::float8 * z.papers)`,
    [list, MIN_TOGETHER, MIN_SHARE],
  );
  for (const row of rows) {
    const entry = found.get(row.key);
    if (!entry) continue;
    entry.papers = row.papers;
    entry.together.set(row.term, row.together);
    if (row.df !== null) entry.df.set(row.term, row.df);
  }
  return found;
}
