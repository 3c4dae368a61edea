// The candidate papers indexed once per run (pure): an inverted index with
// positions per field, field lengths, rarity from the corpus statistics, each
// paper's tf-idf vector, and the papers like a given paper (like: topics, votes).
import { countCorpus, inverseFrequency, type CorpusStats } from "./corpus.ts";
import { isStopWord, splitWords, toTerms, wordForms } from "./tokens.ts";

export type MatchablePaper = {
  id: number;
  arxivId?: string;
  title: string;
  abstract: string;
  authors: string[];
  aiKeywords: string[];
  categories?: string[];
};

export type Field = "title" | "keywords" | "abstract" | "authors" | "categories";

/** BM25F: how much one occurrence counts by field, and how much a field's length discounts it. */
export const FIELD_WEIGHTS: Record<Field, number> = { title: 3, keywords: 2, abstract: 1, authors: 1, categories: 1 };
export const LENGTH_DISCOUNT: Record<Field, number> = { title: 0.3, keywords: 0.3, abstract: 0.75, authors: 0, categories: 0 };
export const TEXT_FIELDS: Field[] = ["title", "keywords", "abstract"];
export const FIELDS = Object.keys(FIELD_WEIGHTS) as Field[];
/** Words further apart than this do not count as occurring together. */
export const NEAR = 3;
/** Hits weaker than this are not kept (the digest's own cut is higher). */
export const KEEP = 0.05;
/** The cosine of two papers' tf-idf vectors that counts as the ideal on the relevance scale (most papers on one subject share a quarter of their weight). */
const SIMILAR_SCALE = 0.25;

export type Postings = Map<number, Partial<Record<Field, number[]>>>;

export type PaperIndex = {
  /** term → paper id → field → positions of the term in that field. */
  postings: Map<string, Postings>;
  lengths: Map<number, Record<Field, number>>;
  averageLength: Record<Field, number>;
  stats: CorpusStats;
  papers: Map<number, MatchablePaper>;
  /** A word as written for each term, for why-lines ("retriev" → "retrieval"). */
  surface: Map<string, string>;
  /** paper id → field → the word at each position, plural folded: whether an occurrence is the typed word or only shares its stem. */
  forms: Map<number, Partial<Record<Field, string[]>>>;
  /** Each paper's weighted terms, computed when first needed. */
  vectors: Map<number, Map<string, number>>;
  /** Papers like a paper (findSimilar), by its id, computed when first needed. */
  similar: Map<number, Map<number, { relevance: number; shared: string[] }>>;
};

/** Builds the inverted index over title, AI keywords, abstract, authors and categories; rarity from `stats` (default: these papers). */
export function indexPapers(papers: MatchablePaper[], stats: CorpusStats = countCorpus(papers)): PaperIndex {
  const builder = startIndex(stats);
  for (const paper of papers) builder.add(paper);
  return builder.finish();
}

/** indexPapers a paper at a time, so that a caller can let other work run between papers (a web process building a large index). */
export function startIndex(stats: CorpusStats): { add(paper: MatchablePaper): void; finish(): PaperIndex } {
  const postings = new Map<string, Postings>();
  const lengths = new Map<number, Record<Field, number>>();
  const totals: Record<Field, number> = { title: 0, keywords: 0, abstract: 0, authors: 0, categories: 0 };
  const surface = new Map<string, string>();
  const forms = new Map<number, Partial<Record<Field, string[]>>>();
  const papers: MatchablePaper[] = [];
  const add = (paper: MatchablePaper) => {
    papers.push(paper);
    const formsOf: Partial<Record<Field, string[]>> = {};
    forms.set(paper.id, formsOf);
    const texts: Record<Field, string[]> = { title: [paper.title], keywords: paper.aiKeywords, abstract: [paper.abstract], authors: paper.authors, categories: paper.categories ?? [] };
    const length: Record<Field, number> = { title: 0, keywords: 0, abstract: 0, authors: 0, categories: 0 };
    for (const field of FIELDS) {
      // Separate keywords/authors by a gap in positions so a phrase never spans two of them.
      let position = 0;
      const fieldForms: string[] = (formsOf[field] = []);
      for (const text of texts[field]) {
        for (const word of splitWords(text)) {
          const { term, fold } = wordForms(word);
          fieldForms[position] = fold;
          if (!surface.has(term)) surface.set(term, word);
          let byPaper = postings.get(term);
          if (!byPaper) postings.set(term, (byPaper = new Map()));
          let byField = byPaper.get(paper.id);
          if (!byField) byPaper.set(paper.id, (byField = {}));
          // A literal of one, not [] and push: V8 gives a pushed-to array room for 17 (~150 bytes), and most words occur once.
          const positions = byField[field];
          if (positions) positions.push(position++);
          else byField[field] = [position++];
        }
        position += NEAR + 2;
      }
      length[field] = position;
      totals[field] += position;
    }
    lengths.set(paper.id, length);
  };
  const finish = (): PaperIndex => {
    // Arrays that grew by push keep their spare room: copies of their exact size.
    for (const byPaper of postings.values()) {
      for (const byField of byPaper.values()) {
        for (const field of FIELDS) {
          const positions = byField[field];
          if (positions && positions.length > 1) byField[field] = positions.slice();
        }
      }
    }
    const count = Math.max(1, papers.length);
    const averageLength = Object.fromEntries(FIELDS.map((field) => [field, Math.max(1, totals[field] / count)])) as Record<Field, number>;
    return { postings, lengths, averageLength, stats, papers: new Map(papers.map((paper) => [paper.id, paper])), surface, forms, vectors: new Map(), similar: new Map() };
  };
  return { add, finish };
}

/** A score on the query's scale, 0..1 and order-preserving: 1 − e^(−score/ideal) (a paper scoring the ideal gets 0.63). */
export function onScale(score: number, ideal: number): number {
  return 1 - Math.exp(-score / ideal);
}

/** A paper's words weighted by field and rarity (tf-idf, l2-normalised, strongest first), computed once per index. */
export function paperVector(index: PaperIndex, paperId: number): Map<string, number> {
  const known = index.vectors.get(paperId);
  if (known) return known;
  const paper = index.papers.get(paperId);
  const vector = paper ? textVector(index, paper) : new Map<string, number>();
  index.vectors.set(paperId, vector);
  return vector;
}

function textVector(index: PaperIndex, paper: MatchablePaper): Map<string, number> {
  const frequency = new Map<string, number>();
  const add = (text: string, weight: number) => {
    for (const term of toTerms(text)) if (!isStopWord(term) && term.length > 1 && !/^\d+$/.test(term)) frequency.set(term, (frequency.get(term) ?? 0) + weight);
  };
  add(paper.title, FIELD_WEIGHTS.title);
  for (const keyword of paper.aiKeywords) add(keyword, FIELD_WEIGHTS.keywords);
  add(paper.abstract, FIELD_WEIGHTS.abstract);
  const weighted = [...frequency].map(([term, count]) => [term, (1 + Math.log(count)) * inverseFrequency(index.stats, term)] as const);
  weighted.sort((a, b) => b[1] - a[1]);
  const norm = Math.sqrt(weighted.reduce((sum, [, weight]) => sum + weight * weight, 0)) || 1;
  return new Map(weighted.map(([term, weight]) => [term, weight / norm]));
}

/**
 * Papers of the index like `paper` (cosine of their tf-idf vectors, on the 0..1
 * relevance scale), by paper id, each with the words they share most; computed
 * once per index and paper.
 */
export function findSimilar(index: PaperIndex, paper: MatchablePaper): Map<number, { relevance: number; shared: string[] }> {
  const known = index.similar.get(paper.id);
  if (known) return known;
  const own = index.papers.get(paper.id) === paper ? paperVector(index, paper.id) : textVector(index, paper);
  const products = new Map<number, Array<[string, number]>>();
  for (const [term, weight] of own) {
    for (const paperId of index.postings.get(term)?.keys() ?? []) {
      if (paperId === paper.id) continue;
      const other = paperVector(index, paperId).get(term);
      if (other === undefined) continue;
      let list = products.get(paperId);
      if (!list) products.set(paperId, (list = []));
      list.push([term, weight * other]);
    }
  }
  const similar = new Map<number, { relevance: number; shared: string[] }>();
  for (const [paperId, list] of products) {
    const cosine = list.reduce((sum, [, product]) => sum + product, 0);
    const relevance = onScale(cosine, SIMILAR_SCALE);
    if (relevance < KEEP) continue;
    const shared = list
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([term]) => index.surface.get(term) ?? term);
    similar.set(paperId, { relevance, shared });
  }
  index.similar.set(paper.id, similar);
  return similar;
}
