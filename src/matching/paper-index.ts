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

/**
 * The inverted index, packed into typed arrays (a worker holds it for the whole
 * run: at 2 000 papers a Map, an object and an array per term and paper took
 * ~55 MB). Term slot t's papers are the pairs termStart[t] ≤ p < termStart[t + 1],
 * ascending by paper id (pairPaper[p]); pair p's occurrences are the codes
 * pairStart[p] ≤ c < pairStart[p + 1], by field then position, each the field's
 * index in FIELDS << FIELD_SHIFT | the position; codeForm[c] is the id (in `forms`)
 * of the word as written there, plural folded.
 */
export type Postings = {
  terms: Map<string, number>;
  termStart: Int32Array;
  pairPaper: Int32Array;
  pairStart: Int32Array;
  codes: Int32Array;
  codeForm: Int32Array;
  forms: Map<string, number>;
};

const FIELD_SHIFT = 24;
const POSITION_MASK = (1 << FIELD_SHIFT) - 1;

export type PaperIndex = {
  postings: Postings;
  lengths: Map<number, Record<Field, number>>;
  averageLength: Record<Field, number>;
  stats: CorpusStats;
  papers: Map<number, MatchablePaper>;
  /** A word as written for each term, for why-lines ("retriev" → "retrieval"). */
  surface: Map<string, string>;
  /** Each paper's weighted terms, computed when first needed. */
  vectors: Map<number, Map<string, number>>;
  /** Papers like a paper (findSimilar), by its id, computed when first needed. */
  similar: Map<number, Map<number, { relevance: number; shared: string[] }>>;
};

/** The pairs of `term` (see Postings): first ≤ pair < end; none when the index does not have it. */
export function termPairs(index: PaperIndex, term: string): { first: number; end: number } {
  const slot = index.postings.terms.get(term);
  if (slot === undefined) return { first: 0, end: 0 };
  return { first: index.postings.termStart[slot]!, end: index.postings.termStart[slot + 1]! };
}

/** The pair of `term` and the paper, or −1 when the paper does not have the term (binary search). */
export function findPair(index: PaperIndex, term: string, paperId: number): number {
  const slot = index.postings.terms.get(term);
  if (slot === undefined) return -1;
  const papers = index.postings.pairPaper;
  let low = index.postings.termStart[slot]!;
  let high = index.postings.termStart[slot + 1]! - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const id = papers[middle]!;
    if (id === paperId) return middle;
    if (id < paperId) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/** The fields a pair's term occurs in, one bit per index in FIELDS. */
export function pairFields(index: PaperIndex, pair: number): number {
  const { pairStart, codes } = index.postings;
  let mask = 0;
  for (let c = pairStart[pair]!; c < pairStart[pair + 1]!; c++) mask |= 1 << fieldOf(codes[c]!);
  return mask;
}

/** The positions of a pair's term in `field`, ascending (none for pair −1). */
export function pairPositions(index: PaperIndex, pair: number, field: Field): number[] {
  if (pair < 0) return [];
  const { pairStart, codes } = index.postings;
  const wanted = FIELD_INDEX[field];
  const positions: number[] = [];
  for (let c = pairStart[pair]!; c < pairStart[pair + 1]!; c++) if (fieldOf(codes[c]!) === wanted) positions.push(codes[c]! & POSITION_MASK);
  return positions;
}

/** The index in FIELDS of an occurrence's field (see Postings). */
export function fieldOf(code: number): number {
  return code >>> FIELD_SHIFT;
}

/** A field's bit, as in pairFields. */
export function fieldBit(field: Field): number {
  return 1 << FIELD_INDEX[field];
}

/** The bits of `fields`, as in pairFields. */
export function fieldBits(fields: readonly Field[]): number {
  let mask = 0;
  for (const field of fields) mask |= fieldBit(field);
  return mask;
}

const FIELD_INDEX = Object.fromEntries(FIELDS.map((field, i) => [field, i])) as Record<Field, number>;

/** Builds the inverted index over title, AI keywords, abstract, authors and categories; rarity from `stats` (default: these papers). */
export function indexPapers(papers: MatchablePaper[], stats: CorpusStats = countCorpus(papers)): PaperIndex {
  const builder = startIndex(stats);
  for (const paper of papers) builder.add(paper);
  return builder.finish();
}

/** indexPapers a paper at a time, so that a caller can let other work run between papers (a web process building a large index). */
export function startIndex(stats: CorpusStats): { add(paper: MatchablePaper): void; finish(): PaperIndex } {
  // term → its papers while building, flat: paper id, occurrences n, then n × (code, form id).
  const building = new Map<string, number[]>();
  const forms = new Map<string, number>();
  const lengths = new Map<number, Record<Field, number>>();
  const totals: Record<Field, number> = { title: 0, keywords: 0, abstract: 0, authors: 0, categories: 0 };
  const surface = new Map<string, string>();
  const papers: MatchablePaper[] = [];
  let ascending = true;
  let codeCount = 0;
  let pairCount = 0;
  const add = (paper: MatchablePaper) => {
    if (papers.length > 0 && paper.id <= papers[papers.length - 1]!.id) ascending = false;
    papers.push(paper);
    const own = new Map<string, number[]>();
    const texts: Record<Field, string[]> = { title: [paper.title], keywords: paper.aiKeywords, abstract: [paper.abstract], authors: paper.authors, categories: paper.categories ?? [] };
    const length: Record<Field, number> = { title: 0, keywords: 0, abstract: 0, authors: 0, categories: 0 };
    for (const field of FIELDS) {
      // Separate keywords/authors by a gap in positions so a phrase never spans two of them.
      let position = 0;
      for (const text of texts[field]) {
        for (const word of splitWords(text)) {
          const { term, fold } = wordForms(word);
          if (!surface.has(term)) surface.set(term, word);
          let formId = forms.get(fold);
          if (formId === undefined) forms.set(fold, (formId = forms.size));
          let occurrences = own.get(term);
          if (!occurrences) own.set(term, (occurrences = []));
          occurrences.push((FIELD_INDEX[field] << FIELD_SHIFT) | Math.min(position++, POSITION_MASK), formId);
        }
        position += NEAR + 2;
      }
      length[field] = position;
      totals[field] += position;
    }
    for (const [term, occurrences] of own) {
      let list = building.get(term);
      if (!list) building.set(term, (list = []));
      list.push(paper.id, occurrences.length / 2, ...occurrences);
      pairCount++;
      codeCount += occurrences.length / 2;
    }
    lengths.set(paper.id, length);
  };
  const finish = (): PaperIndex => {
    const terms = new Map<string, number>();
    const termStart = new Int32Array(building.size + 1);
    const pairPaper = new Int32Array(pairCount);
    const pairStart = new Int32Array(pairCount + 1);
    const codes = new Int32Array(codeCount);
    const codeForm = new Int32Array(codeCount);
    let pair = 0;
    let code = 0;
    for (const [term, list] of building) {
      termStart[terms.size] = pair;
      terms.set(term, terms.size);
      // Offsets of each paper's entry in `list`, in paper id order.
      const entries: number[] = [];
      for (let at = 0; at < list.length; at += 2 + 2 * list[at + 1]!) entries.push(at);
      if (!ascending) entries.sort((a, b) => list[a]! - list[b]!);
      for (const at of entries) {
        pairPaper[pair] = list[at]!;
        pairStart[pair] = code;
        const n = list[at + 1]!;
        for (let i = 0; i < n; i++) {
          codes[code] = list[at + 2 + 2 * i]!;
          codeForm[code] = list[at + 3 + 2 * i]!;
          code++;
        }
        pair++;
      }
    }
    termStart[terms.size] = pair;
    pairStart[pair] = code;
    building.clear();
    const count = Math.max(1, papers.length);
    const averageLength = Object.fromEntries(FIELDS.map((field) => [field, Math.max(1, totals[field] / count)])) as Record<Field, number>;
    return {
      postings: { terms, termStart, pairPaper, pairStart, codes, codeForm, forms },
      lengths,
      averageLength,
      stats,
      papers: new Map(papers.map((paper) => [paper.id, paper])),
      surface,
      vectors: new Map(),
      similar: new Map(),
    };
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
    const { first, end } = termPairs(index, term);
    for (let pair = first; pair < end; pair++) {
      const paperId = index.postings.pairPaper[pair]!;
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
