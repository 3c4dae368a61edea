// Full-text matching of compiled topics against the candidate papers (pure).
// Papers are indexed once per run; each distinct topic is then matched once.
import type { CompiledTopic } from "./topics.ts";
import { toTerms } from "./tokens.ts";

export type MatchablePaper = {
  id: number;
  title: string;
  abstract: string;
  authors: string[];
  aiKeywords: string[];
  categories?: string[];
};

export type Field = "title" | "keywords" | "abstract" | "authors" | "categories";

/** How much one occurrence counts, by where it occurs. */
export const FIELD_WEIGHTS: Record<Field, number> = { title: 3, keywords: 2, abstract: 1, authors: 3, categories: 3 };
/** Fields a plain keyword or phrase is looked for in; authors and categories need author:/cat:. */
const TEXT_FIELDS: Field[] = ["title", "keywords", "abstract", "authors"];
const FIELDS = Object.keys(FIELD_WEIGHTS) as Field[];

export type TopicHit = {
  paperId: number;
  /** 0..1: how strongly the paper is about the topic. */
  relevance: number;
  /** Fields where the topic matched, most important first. */
  fields: Field[];
  /** Words that matched in place of the topic's own (a synonym, or a group's option). */
  via: string[];
};

/** term → paper id → field → positions of the term in that field. */
export type PaperIndex = Map<string, Map<number, Partial<Record<Field, number[]>>>>;

/** Builds the inverted index over title, abstract, AI keywords and authors. */
export function indexPapers(papers: MatchablePaper[]): PaperIndex {
  const index: PaperIndex = new Map();
  for (const paper of papers) {
    const texts: Record<Field, string[]> = {
      title: [paper.title],
      keywords: paper.aiKeywords,
      abstract: [paper.abstract],
      authors: paper.authors,
      categories: paper.categories ?? [],
    };
    for (const field of FIELDS) {
      // Separate keywords/authors by a gap in positions so a phrase never spans two of them.
      let position = 0;
      for (const text of texts[field]) {
        for (const term of toTerms(text)) {
          let byPaper = index.get(term);
          if (!byPaper) index.set(term, (byPaper = new Map()));
          let byField = byPaper.get(paper.id);
          if (!byField) byPaper.set(paper.id, (byField = {}));
          (byField[field] ??= []).push(position++);
        }
        position += 2;
      }
    }
  }
  return index;
}

/** Papers where every clause of the topic occurs, with relevance and fields. */
export function matchTopic(index: PaperIndex, topic: CompiledTopic): TopicHit[] {
  if (topic.clauses.length === 0) return [];
  type Partial = { score: number; fields: Set<Field>; via: Set<string> };
  let scores: Map<number, Partial> | undefined;
  for (const clause of topic.clauses) {
    const found = findAnyOf(index, clause.alternatives, topic.fields ?? TEXT_FIELDS);
    const next = new Map<number, Partial>();
    for (const [paperId, { counts, via }] of found) {
      const previous = scores ? scores.get(paperId) : { score: 0, fields: new Set<Field>(), via: new Set<string>() };
      if (!previous) continue;
      let score = previous.score;
      for (const [field, count] of counts) {
        score += FIELD_WEIGHTS[field] * (1 + Math.log(count));
        previous.fields.add(field);
      }
      for (const words of via) previous.via.add(words);
      next.set(paperId, { score, fields: previous.fields, via: previous.via });
    }
    scores = next;
  }
  const perClause = FIELD_WEIGHTS.title * topic.clauses.length;
  return [...(scores ?? [])].map(([paperId, { score, fields, via }]) => ({
    paperId,
    relevance: 1 - Math.exp(-score / perClause),
    fields: FIELDS.filter((field) => fields.has(field)),
    via: [...via],
  }));
}

/**
 * Occurrences of any of the term sequences, added up per paper and field, with the
 * alternatives (other than the first, the clause's own words) that matched.
 */
function findAnyOf(index: PaperIndex, alternatives: string[][], fields: Field[]): Map<number, { counts: Map<Field, number>; via: string[] }> {
  const result = new Map<number, { counts: Map<Field, number>; via: string[] }>();
  alternatives.forEach((terms, position) => {
    for (const [paperId, counts] of findClause(index, terms, fields)) {
      const merged = result.get(paperId) ?? { counts: new Map<Field, number>(), via: [] };
      for (const [field, count] of counts) merged.counts.set(field, (merged.counts.get(field) ?? 0) + count);
      if (position > 0) merged.via.push(terms.join(" "));
      result.set(paperId, merged);
    }
  });
  return result;
}

/** Occurrence counts per paper and field of consecutive `terms`. */
function findClause(index: PaperIndex, terms: string[], fields: Field[]): Map<number, Map<Field, number>> {
  const result = new Map<number, Map<Field, number>>();
  const [first, ...rest] = terms;
  const starts = first === undefined ? undefined : index.get(first);
  if (!starts) return result;
  for (const [paperId, byField] of starts) {
    for (const field of fields) {
      const positions = byField[field];
      if (!positions) continue;
      // Sets, not Array#includes: a term repeated k times in an abstract would cost k² per phrase.
      const following = rest.map((term) => new Set(index.get(term)?.get(paperId)?.[field]));
      const count = following.length === 0 ? positions.length : positions.filter((start) => following.every((at, i) => at.has(start + i + 1))).length;
      if (count === 0) continue;
      let counts = result.get(paperId);
      if (!counts) result.set(paperId, (counts = new Map()));
      counts.set(field, count);
    }
  }
  return result;
}
