// The rankers the matcher is measured against in `npm run eval`:
// - the boolean matcher paperboy had before ranked retrieval (every word of the
//   topic required, plural folding, the synonym table, field weights), frozen here;
// - arxiv-sanity's features: tf-idf over 1–2-grams, sublinear tf, l2 norm, cosine;
// - untuned BM25 from minisearch.
// Each returns arXiv ids, best first: a ranking (for nDCG/recall) and the list it would send.
import MiniSearch from "minisearch";
import { SYNONYM_GROUPS } from "../../src/matching/synonyms.ts";
import { foldPlural, isStopWord, splitWords } from "../../src/matching/tokens.ts";

export type EvalPaper = { id: number; arxivId: string; title: string; abstract: string; authors: string[]; aiKeywords: string[]; upvotes: number; comments: number; githubStars?: number };

const CAP = 10;

/** The pre-ranked-retrieval matcher: papers containing every clause, by field-weighted counts blended 0.7/0.3 with upvotes. */
export function booleanMatcher(papers: EvalPaper[], topic: string): string[] {
  const seed = /^like:/i.exec(topic);
  if (seed) return []; // it had no paper topics
  const author = /^author:\s*"?([^"]*)"?$/i.exec(topic);
  const fold = (text: string) => splitWords(text).map(foldPlural);
  const clauses = author ? [fold(author[1] ?? "")] : [...topic.matchAll(/"([^"]+)"|([^\s"]+)/g)].map((m) => fold(m[1] ?? m[2] ?? "")).filter((c) => c.length > 0);
  const fields = author ? [{ weight: 3, texts: (p: EvalPaper) => p.authors }] : OLD_FIELDS;
  const maxUp = Math.max(...papers.map((p) => Math.log1p(p.upvotes) + 0.25 * Math.log1p(p.comments) + 0.15 * Math.log1p(p.githubStars ?? 0)));
  const scored: Array<{ id: string; score: number }> = [];
  for (const paper of papers) {
    let score = 0;
    const found = clauses.every((clause) => {
      let clauseScore = 0;
      for (const alternative of synonymsOf(clause)) {
        for (const field of fields) {
          const count = field.texts(paper).reduce((sum, text) => sum + countSequence(fold(text), alternative), 0);
          if (count > 0) clauseScore += field.weight * (1 + Math.log(count));
        }
      }
      score += clauseScore;
      return clauseScore > 0;
    });
    if (!found || clauses.length === 0) continue;
    const relevance = 1 - Math.exp(-score / (3 * clauses.length));
    if (relevance < 0.15) continue;
    const interest = (Math.log1p(paper.upvotes) + 0.25 * Math.log1p(paper.comments) + 0.15 * Math.log1p(paper.githubStars ?? 0)) / (maxUp || 1);
    scored.push({ id: paper.arxivId, score: 0.7 * relevance + 0.3 * interest });
  }
  return scored.sort((a, b) => b.score - a.score).map((entry) => entry.id);
}

const OLD_FIELDS = [
  { weight: 3, texts: (p: EvalPaper) => [p.title] },
  { weight: 2, texts: (p: EvalPaper) => p.aiKeywords },
  { weight: 1, texts: (p: EvalPaper) => [p.abstract] },
  { weight: 3, texts: (p: EvalPaper) => p.authors },
];

function synonymsOf(clause: string[]): string[][] {
  const key = clause.join(" ");
  const group = SYNONYM_GROUPS.map((entries) => entries.map((entry) => splitWords(entry).map(foldPlural))).find((variants) => variants.some((v) => v.join(" ") === key));
  return group ? [clause, ...group.filter((v) => v.join(" ") !== key)] : [clause];
}

function countSequence(words: string[], sequence: string[]): number {
  let count = 0;
  for (let i = 0; i + sequence.length <= words.length; i++) if (sequence.every((word, j) => words[i + j] === word)) count++;
  return count;
}

/** What arxiv-sanity does: tf-idf of 1–2-grams (sublinear tf, smooth idf, l2) over title, keywords and abstract; cosine with the query's vector. */
export function tfidfCosine(papers: EvalPaper[], topic: string): string[] {
  const docs = papers.map((paper) => ngrams(`${paper.title} ${paper.aiKeywords.join(" ")} ${paper.abstract}`));
  const df = new Map<string, number>();
  for (const doc of docs) for (const gram of new Set(doc)) df.set(gram, (df.get(gram) ?? 0) + 1);
  const idf = (gram: string) => Math.log((1 + papers.length) / (1 + (df.get(gram) ?? 0))) + 1;
  const vector = (grams: string[]) => {
    const tf = new Map<string, number>();
    for (const gram of grams) tf.set(gram, (tf.get(gram) ?? 0) + 1);
    const weights = new Map([...tf].map(([gram, count]) => [gram, (1 + Math.log(count)) * idf(gram)]));
    const norm = Math.sqrt([...weights.values()].reduce((sum, w) => sum + w * w, 0)) || 1;
    return new Map([...weights].map(([gram, w]) => [gram, w / norm]));
  };
  const vectors = docs.map(vector);
  const seed = /^like:\s*(\S+)/i.exec(topic)?.[1];
  const seedIndex = seed ? papers.findIndex((paper) => paper.arxivId === seed) : -1;
  const query = seedIndex >= 0 ? vectors[seedIndex]! : vector(ngrams(topic.replace(/^author:/i, "")));
  return papers
    .map((paper, i) => ({ id: paper.arxivId, score: [...query].reduce((sum, [gram, w]) => sum + w * (vectors[i]!.get(gram) ?? 0), 0) }))
    .filter((entry) => entry.score > 0 && entry.id !== seed)
    .sort((a, b) => b.score - a.score)
    .map((entry) => entry.id);
}

function ngrams(text: string): string[] {
  const words = splitWords(text).filter((word) => !isStopWord(word) && /^[a-z_][a-z0-9_]+$/.test(word));
  return [...words, ...words.slice(1).map((word, i) => `${words[i]} ${word}`)];
}

/** Untuned BM25 (minisearch's defaults, OR of the query's words) over title, keywords and abstract. */
export function minisearchBm25(papers: EvalPaper[], topic: string): string[] {
  const index = new MiniSearch<{ id: string; title: string; keywords: string; abstract: string }>({ fields: ["title", "keywords", "abstract"] });
  index.addAll(papers.map((paper) => ({ id: paper.arxivId, title: paper.title, keywords: paper.aiKeywords.join(" "), abstract: paper.abstract })));
  const seed = /^like:\s*(\S+)/i.exec(topic)?.[1];
  const seedPaper = papers.find((paper) => paper.arxivId === seed);
  const query = seedPaper ? seedPaper.title : topic.replace(/^author:/i, "").replace(/"/g, "");
  return index
    .search(query)
    .map((result) => String(result.id))
    .filter((id) => id !== seed);
}

/** The list each baseline sends: its first CAP (none of them has a cut of its own). */
export function sentList(ranking: string[]): string[] {
  return ranking.slice(0, CAP);
}
