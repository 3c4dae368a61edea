// Corpus statistics: in how many papers each term occurs, over every paper the
// instance has ingested, so that rarity (IDF) does not depend on one small day (pure).
import { isStopWord, toTerms } from "./tokens.ts";

export type CorpusStats = {
  /** Papers counted. */
  papers: number;
  /** Document frequency: term → papers whose title, AI keywords or abstract contain it. */
  df: Map<string, number>;
};

export type TextOfPaper = { title: string; abstract: string; aiKeywords: string[] };

/** The distinct terms a paper adds to the document frequencies (stop words left out). */
export function documentTerms(paper: TextOfPaper): Set<string> {
  const terms = new Set<string>();
  for (const text of [paper.title, paper.abstract, ...paper.aiKeywords]) {
    for (const term of toTerms(text)) if (!isStopWord(term)) terms.add(term);
  }
  return terms;
}

/** Statistics counted from the given papers alone (the eval, or a database whose statistics are not built yet). */
export function countCorpus(papers: Iterable<TextOfPaper>): CorpusStats {
  const df = new Map<string, number>();
  let count = 0;
  for (const paper of papers) {
    count++;
    for (const term of documentTerms(paper)) df.set(term, (df.get(term) ?? 0) + 1);
  }
  return { papers: count, df };
}

/**
 * BM25's inverse document frequency, ln(1 + (N − df + 0.5) / (df + 0.5)). A term
 * the statistics have not seen counts as occurring in one paper.
 */
export function inverseFrequency(stats: CorpusStats, term: string): number {
  return rarity(stats.papers, stats.df.get(term) ?? 0);
}

/** The same for a term in `df` of `papers` papers. */
export function rarity(papers: number, df: number): number {
  const frequency = Math.max(1, df);
  const total = Math.max(papers, frequency);
  return Math.log(1 + (total - frequency + 0.5) / (frequency + 0.5));
}
