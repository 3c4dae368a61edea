// Term associations learned from the instance's own corpus (pure): the words that
// papers with all of a query's words use far more often than papers at large
// ("graph neural networks" → message, passing, node), so a paper that says the
// same thing in other words is found. Co-occurrence is counted over each paper's
// key terms, kept with the paper since its ingest; the words the window's best
// papers share (pseudo-relevance feedback, match.ts) count for more.
import { rarity, type CorpusStats, type TextOfPaper } from "./corpus.ts";
import { isStopWord, toTerms } from "./tokens.ts";

/**
 * Papers with all of a query's key terms, how many of them have each key term,
 * and (when the corpus statistics at hand may lack them) those terms' document frequencies.
 */
export type Cooccurrence = { papers: number; together: ReadonlyMap<string, number>; df?: ReadonlyMap<string, number> };
export type AssociatedTerm = { term: string; weight: number };

/** Co-occurrence is counted over at most this many papers with the query's words, the most recent. */
export const SAMPLE_PAPERS = 500;
/** Fewer papers with the query's words than this teach nothing. */
export const MIN_PAPERS = 10;
/** A word must be in this share of the papers with the query's words, and in two of them at least (one paper's words are that paper's)… */
export const MIN_SHARE = 0.2;
export const MIN_TOGETHER = 3;
/** …and this many times more common there than in the corpus. */
const MIN_LIFT = 3;
const ASSOCIATED_TERMS = 8;
/** Abstract words count as key terms from this many occurrences (titles and AI keywords always count). */
const ABSTRACT_REPEATS = 2;

/** What a paper is about, as terms: those of its title and AI keywords, and words its abstract repeats. */
export function keyTerms(paper: TextOfPaper): string[] {
  return paperTerms(paper).key;
}

const meaningful = (term: string) => term.length > 1 && !/^\d+$/.test(term);

/**
 * A paper's terms, from one pass over its words: `terms`, every term but stop
 * words (the corpus statistics, documentTerms), and `key`, its key terms (keyTerms).
 */
export function paperTerms(paper: TextOfPaper): { terms: Set<string>; key: string[] } {
  const terms = new Set<string>();
  const key = new Set<string>();
  for (const text of [paper.title, ...paper.aiKeywords]) {
    for (const term of toTerms(text)) {
      if (isStopWord(term)) continue;
      terms.add(term);
      if (meaningful(term)) key.add(term);
    }
  }
  const counts = new Map<string, number>();
  for (const term of toTerms(paper.abstract)) {
    if (isStopWord(term)) continue;
    terms.add(term);
    if (meaningful(term)) counts.set(term, (counts.get(term) ?? 0) + 1);
  }
  for (const [term, count] of counts) if (count >= ABSTRACT_REPEATS) key.add(term);
  return { terms, key: [...key].sort() };
}

/** The key under which a query's co-occurrence is looked up: its distinct meaningful terms, sorted ("" when it has none). */
export function associationKey(terms: Iterable<string>): string {
  return [...new Set([...terms].filter((term) => !isStopWord(term)))].sort().join(" ");
}

/** Co-occurrence counted in memory over papers' key terms (what the database query does over every ingested paper). */
export function countCooccurrence(papers: Iterable<readonly string[]>, key: string): Cooccurrence {
  const wanted = key.split(" ").filter(Boolean);
  const together = new Map<string, number>();
  let count = 0;
  if (wanted.length === 0) return { papers: 0, together };
  for (const terms of papers) {
    if (count >= SAMPLE_PAPERS) break;
    const own = new Set(terms);
    if (!wanted.every((term) => own.has(term))) continue;
    count++;
    for (const term of own) together.set(term, (together.get(term) ?? 0) + 1);
  }
  return { papers: count, together };
}

/**
 * The words associated with a query: in at least MIN_SHARE of the papers with its
 * words and MIN_LIFT times more common there than in the corpus, weighted by that
 * share and their rarity, strongest first; the query's own terms left out.
 */
export function associatedTerms(cooccurrence: Cooccurrence, stats: CorpusStats, own: ReadonlySet<string>): AssociatedTerm[] {
  if (cooccurrence.papers < MIN_PAPERS) return [];
  const found: AssociatedTerm[] = [];
  for (const [term, together] of cooccurrence.together) {
    if (own.has(term)) continue;
    const share = together / cooccurrence.papers;
    if (share < MIN_SHARE || together < MIN_TOGETHER) continue;
    const df = Math.max(together, cooccurrence.df?.get(term) ?? stats.df.get(term) ?? together);
    const lift = share / (df / Math.max(stats.papers, df));
    if (lift < MIN_LIFT) continue;
    found.push({ term, weight: share * rarity(stats.papers, df) });
  }
  return found.sort((a, b) => b.weight - a.weight || a.term.localeCompare(b.term)).slice(0, ASSOCIATED_TERMS);
}
