// Ranked retrieval of the candidate papers for each compiled topic (pure): BM25F
// over title, AI keywords and abstract with rarity from the whole corpus, a bonus
// for the topic's words occurring together, and pseudo-relevance feedback that
// adds the words of a topic's best papers. Papers are indexed once per run; each
// distinct topic is then matched once.
import { associationKey, type AssociatedTerm } from "./associations.ts";
import { inverseFrequency } from "./corpus.ts";
import {
  FIELD_WEIGHTS,
  fieldBit,
  fieldBits,
  fieldOf,
  FIELDS,
  findPair,
  findSimilar,
  KEEP,
  LENGTH_DISCOUNT,
  NEAR,
  onScale,
  pairFields,
  pairPositions,
  paperVector,
  termPairs,
  TEXT_FIELDS,
  type Field,
  type MatchablePaper,
  type PaperIndex,
} from "./paper-index.ts";
import type { CompiledTopic, Query } from "./topics.ts";
import { stem } from "./tokens.ts";

/** BM25's saturation: the k1 of tf·(k1 + 1) / (tf + k1). */
const K1 = 1.2;
/** A word once in the title and once in the abstract: what a paper about the topic has, for the relevance scale. */
const IDEAL_FREQUENCY = FIELD_WEIGHTS.title + FIELD_WEIGHTS.abstract;
/** How much an occurrence that only shares the typed word's stem counts. */
const STEM_ONLY = 0.5;
/** Two adjacent words of the topic found adjacent in the title earn this share of their rarity. */
const PAIR_BONUS = 0.5;
/** Strict topics: how strongly a paper by the author, or in the category, is about the topic. */
const STRICT_RELEVANCE: Partial<Record<CompiledTopic["kind"], number>> = { author: 1, category: 0.6 };
/**
 * Pseudo-relevance feedback (RM3): the best papers lend their words; together they
 * weigh FEEDBACK_SHARE of the typed words (RM3's interpolation, λ ≈ 0.7).
 */
const FEEDBACK_PAPERS = 5;
const FEEDBACK_MIN_RELEVANCE = 0.5;
const FEEDBACK_TERMS = 10;
const FEEDBACK_SHARE = 0.4;
/**
 * Words associated with the topic's in the whole corpus weigh this share of the
 * typed words (see expandWithAssociations): less than the window's best papers
 * lend, and just enough that a paper using all of them as often as a paper about
 * them does reaches the digest's cut (1 − e^−0.36 ≈ 0.30) without a typed word.
 */
const ASSOCIATION_SHARE = 0.36;
/** Words of a paper that pseudo-relevance feedback takes from it. */
const PAPER_QUERY_TERMS = 25;
export type TopicHit = {
  paperId: number;
  /** 0..1: how strongly the paper is about the topic, on the topic's own scale (1 = what a paper about it scores). */
  relevance: number;
  /** Fields where the topic's words occur, most important first. */
  fields: Field[];
  evidence: Evidence;
};

/** What matched, for why-lines that claim no more than that. */
export type Evidence = {
  /** The wording that matched, as the reader typed it (one alternative of the topic). */
  label: string;
  /** The topic's words found in the paper, as typed. */
  words: string[];
  /** Words of the wording that were not found. */
  missing: string[];
  /** The words occur together (adjacent) — the phrase — or the wording is one word. */
  together: boolean;
  /** A synonym's wording used instead of the typed one. */
  via?: string;
  /** Words from the topic's best papers that added to the score. */
  related: string[];
  /** Cosine of the paper's and the topic's embeddings, when dense similarity added to the relevance (see fuseDense). */
  similarity?: number;
};

/**
 * The papers the topic finds, scored on its own scale. Keyword and phrase topics
 * are ranked queries: every word counts, rarer words more, "quoted phrases" are
 * required; a `like` topic is a query made of its paper's words (`seeds` holds
 * papers outside the index by arXiv id). Author, category and exclusion topics
 * are strict: all their words must occur.
 */
export function matchTopic(
  index: PaperIndex,
  topic: CompiledTopic,
  seeds: ReadonlyMap<string, MatchablePaper> = new Map(),
  associations: ReadonlyMap<string, AssociatedTerm[]> = new Map(),
): TopicHit[] {
  const fields = topic.fields ?? TEXT_FIELDS;
  const queries = topic.queries;
  if (topic.seed !== undefined) {
    const paper = [...index.papers.values()].find((candidate) => candidate.arxivId === topic.seed) ?? seeds.get(topic.seed);
    if (!paper) return [];
    return [...findSimilar(index, paper)].map(([paperId, { relevance, shared }]) => ({
      paperId,
      relevance,
      fields: TEXT_FIELDS.filter((field) => shared.some((word) => (pairFields(index, findPair(index, stem(word), paperId)) & fieldBit(field)) !== 0)),
      evidence: { label: paper.title, words: shared, missing: [], together: false, related: [] },
    }));
  }
  const strict = STRICT_RELEVANCE[topic.kind];
  const best: Best = new Map();
  for (const query of queries) {
    const ideal = idealScore(index, query);
    for (const [paperId, found] of scoreQuery(index, query, fields)) {
      const relevance = strict ?? onScale(found.score, ideal);
      const known = best.get(paperId);
      if (known && known.relevance >= relevance) continue;
      best.set(paperId, { relevance, score: found.score, ideal, fields: found.fields, label: query.label, query, words: found.words, together: found.together });
    }
  }
  if (strict === undefined && topic.kind !== "exclude") {
    const added = best.size > 0 ? expandWithFeedback(index, queries, best, fields) : new Set<string>();
    expandWithAssociations(index, queries, best, fields, associations, added);
  }
  const hits: TopicHit[] = [];
  const shared = sharedShapes();
  for (const [paperId, found] of best) {
    if (found.relevance < KEEP && topic.kind !== "exclude") continue;
    // Worded only for the papers kept (most scored papers are passing mentions).
    const typed = found.query?.words ?? [];
    const evidence: Evidence = {
      label: found.label,
      words: typed.filter((word) => found.words.has(word.word)).map((word) => word.word),
      missing: typed.filter((word) => !found.words.has(word.word)).map((word) => word.word),
      together: found.together,
      via: found.query?.via,
      related: found.related ?? [],
    };
    hits.push({ paperId, relevance: found.relevance, fields: shared.fields(found.fields), evidence: shared.evidence(evidence) });
  }
  return hits;
}

/**
 * One object for each distinct field list and evidence among a topic's hits: a
 * topic's hundreds of hits have a few dozen shapes, and a worker holds every
 * topic's hits for the whole run (at 2 000 papers, ~200 bytes a hit when each had its own).
 */
function sharedShapes(): { fields(found: number): Field[]; evidence(evidence: Evidence): Evidence } {
  const fieldLists = new Map<number, Field[]>();
  const evidences = new Map<string, Evidence>();
  return {
    fields(found) {
      let list = fieldLists.get(found);
      if (!list) fieldLists.set(found, (list = FIELDS.filter((field) => (found & fieldBit(field)) !== 0)));
      return list;
    },
    evidence(evidence) {
      const { label, words, missing, together, via, related } = evidence;
      const key = [label, words.join("\u0001"), missing.join("\u0001"), together, via ?? "", related.join("\u0001")].join("\u0000");
      const known = evidences.get(key);
      if (known) return known;
      evidences.set(key, evidence);
      return evidence;
    },
  };
}

const NO_WORDS: ReadonlySet<string> = new Set();

/** `fields`: bits (see fieldBit) of the fields the query's words occur in. */
type QueryScore = { score: number; fields: number; words: Set<string>; together: boolean };

/** BM25F of the query's words plus the bonus for adjacent pairs, for every paper with a word of it (and all its phrases). */
function scoreQuery(index: PaperIndex, query: Query, fields: Field[]): Map<number, QueryScore> {
  const scores = new Map<number, QueryScore>();
  const required = query.phrases.map((phrase) => papersWithPhrase(index, phrase, fields));
  const allowed = fieldBits(fields);
  for (const word of query.words) {
    const { first, end } = termPairs(index, word.term);
    if (first === end) continue;
    const idf = inverseFrequency(index.stats, word.term);
    // −1: a form no paper has, so every occurrence only shares the stem.
    const form = word.form === undefined ? undefined : (index.postings.forms.get(word.form) ?? -1);
    for (let pair = first; pair < end; pair++) {
      const paperId = index.postings.pairPaper[pair]!;
      if (required.length > 0 && !required.every((papers) => papers.has(paperId))) continue;
      const frequency = weightedFrequency(index, paperId, pair, allowed, form);
      if (frequency === 0) continue;
      let entry = scores.get(paperId);
      if (!entry) scores.set(paperId, (entry = { score: 0, fields: 0, words: new Set(), together: query.words.length === 1 }));
      entry.score += word.weight * idf * saturate(frequency);
      entry.words.add(word.word);
      entry.fields |= pairFields(index, pair) & allowed;
    }
  }
  if (query.pairs.length > 0) {
    for (const [paperId, entry] of scores) {
      let adjacent = 0;
      for (const [a, b] of query.pairs) {
        const { closeness, isAdjacent } = pairCloseness(index, paperId, a, b, fields);
        entry.score += PAIR_BONUS * closeness * ((inverseFrequency(index.stats, a) + inverseFrequency(index.stats, b)) / 2);
        if (isAdjacent) adjacent++;
      }
      entry.together = adjacent === query.pairs.length;
    }
  }
  return scores;
}

/** What a paper that is about the query scores: each word once in the title and the abstract, each pair adjacent in the title. */
function idealScore(index: PaperIndex, query: Query): number {
  let ideal = 0;
  for (const word of query.words) ideal += word.weight * inverseFrequency(index.stats, word.term) * saturate(IDEAL_FREQUENCY);
  for (const [a, b] of query.pairs) ideal += PAIR_BONUS * ((inverseFrequency(index.stats, a) + inverseFrequency(index.stats, b)) / 2);
  return Math.max(ideal, Number.EPSILON);
}

function saturate(frequency: number): number {
  return (frequency * (K1 + 1)) / (frequency + K1);
}

/**
 * The word's BM25F frequency in the paper (`pair`: the word's entry for it):
 * occurrences in the `allowed` fields weighted by field and discounted by field
 * length; an occurrence that only shares the word's stem (optimization for
 * optimizer) counts STEM_ONLY. `form`: the id of the word as typed, if it matters.
 */
function weightedFrequency(index: PaperIndex, paperId: number, pair: number, allowed: number, form: number | undefined): number {
  const lengths = index.lengths.get(paperId);
  if (!lengths) return 0;
  const { pairStart, codes, codeForm } = index.postings;
  let frequency = 0;
  let field = -1;
  let count = 0;
  for (let c = pairStart[pair]!; c < pairStart[pair + 1]!; c++) {
    const at = fieldOf(codes[c]!);
    if ((allowed & (1 << at)) === 0) continue;
    if (at !== field) {
      if (field >= 0) frequency += fieldFrequency(index, lengths, field, count);
      field = at;
      count = 0;
    }
    count += form === undefined || codeForm[c] === form ? 1 : STEM_ONLY;
  }
  if (field >= 0) frequency += fieldFrequency(index, lengths, field, count);
  return frequency;
}

/** `count` occurrences in the field with index `field`, weighted by the field and discounted by its length in the paper (BM25F). */
function fieldFrequency(index: PaperIndex, lengths: Record<Field, number>, field: number, count: number): number {
  const name = FIELDS[field]!;
  const discount = 1 - LENGTH_DISCOUNT[name] + LENGTH_DISCOUNT[name] * (lengths[name] / index.averageLength[name]);
  return (FIELD_WEIGHTS[name] * count) / discount;
}

/**
 * closeness 0..1: the pair adjacent in order in the title (1), in the abstract
 * (1/3), near each other (half that), or apart (0); isAdjacent: as the phrase somewhere.
 */
function pairCloseness(index: PaperIndex, paperId: number, a: string, b: string, fields: Field[]): { closeness: number; isAdjacent: boolean } {
  const first = findPair(index, a, paperId);
  const second = first < 0 ? -1 : findPair(index, b, paperId);
  if (second < 0) return { closeness: 0, isAdjacent: false };
  let best = 0;
  let isAdjacent = false;
  for (const field of fields) {
    const at = pairPositions(index, first, field);
    const following = pairPositions(index, second, field);
    if (at.length === 0 || following.length === 0) continue;
    const others = new Set(following);
    const weight = FIELD_WEIGHTS[field] / FIELD_WEIGHTS.title;
    if (at.some((position) => others.has(position + 1))) {
      best = Math.max(best, weight);
      isAdjacent = true;
    } else if (anyWithin(at, following, NEAR)) {
      best = Math.max(best, weight / 2);
    }
  }
  return { closeness: Math.min(1, best), isAdjacent };
}

/** Whether some positions of the two ascending lists are at most `distance` apart (linear in their lengths). */
function anyWithin(a: number[], b: number[], distance: number): boolean {
  let j = 0;
  for (const position of a) {
    while (j < b.length && b[j]! < position - distance) j++;
    if (j < b.length && b[j]! <= position + distance) return true;
  }
  return false;
}

function papersWithPhrase(index: PaperIndex, terms: string[], fields: Field[]): Set<number> {
  const found = new Set<number>();
  const [first, ...rest] = terms;
  if (first === undefined) return found;
  const { first: from, end } = termPairs(index, first);
  for (let pair = from; pair < end; pair++) {
    const paperId = index.postings.pairPaper[pair]!;
    for (const field of fields) {
      const positions = pairPositions(index, pair, field);
      if (positions.length === 0) continue;
      // Sets, not Array#includes: a term repeated k times in an abstract would cost k² per phrase.
      const following = rest.map((term) => new Set(pairPositions(index, findPair(index, term, paperId), field)));
      if (following.length === 0 || positions.some((start) => following.every((at, i) => at.has(start + i + 1)))) {
        found.add(paperId);
        break;
      }
    }
  }
  return found;
}

/**
 * RM3-style pseudo-relevance feedback: the words the topic's best papers share,
 * weighted by how well those papers match, are added to the query at a lower
 * weight, so a paper that says the same thing in other words is found too.
 */
function expandWithFeedback(index: PaperIndex, queries: Query[], best: Best, fields: Field[]): Set<string> {
  const top = [...best]
    .filter(([, hit]) => hit.relevance >= FEEDBACK_MIN_RELEVANCE)
    .sort((a, b) => b[1].relevance - a[1].relevance)
    .slice(0, FEEDBACK_PAPERS);
  if (top.length < 2) return new Set();
  const own = new Set(queries.flatMap((query) => query.words.map((word) => word.term)));
  const weights = new Map<string, { weight: number; papers: number }>();
  for (const [paperId, hit] of top) {
    for (const [term, weight] of [...paperVector(index, paperId)].slice(0, PAPER_QUERY_TERMS)) {
      if (own.has(term)) continue;
      const entry = weights.get(term) ?? { weight: 0, papers: 0 };
      entry.weight += hit.relevance * weight;
      entry.papers++;
      weights.set(term, entry);
    }
  }
  // A word only one of the best papers uses says more about that paper than about the topic.
  const expansion = [...weights]
    .filter(([, entry]) => entry.papers >= 2)
    .sort((a, b) => b[1].weight - a[1].weight)
    .slice(0, FEEDBACK_TERMS);
  addRelatedWords(index, queries, best, fields, new Map(expansion.map(([term, entry]) => [term, entry.weight])), FEEDBACK_SHARE);
  return new Set(expansion.map(([term]) => term));
}

/**
 * Term associations from the whole corpus (see associations.ts), for each wording
 * of the topic, at ASSOCIATION_SHARE: less than the window's best papers lend, as
 * they speak of the topic in general rather than of these papers.
 */
function expandWithAssociations(index: PaperIndex, queries: Query[], best: Best, fields: Field[], associations: ReadonlyMap<string, AssociatedTerm[]>, added: ReadonlySet<string>): void {
  const own = new Set(queries.flatMap((query) => query.words.map((word) => word.term)));
  const weights = new Map<string, number>();
  for (const query of queries) {
    for (const { term, weight } of associations.get(associationKey(query.words.map((word) => word.term))) ?? []) {
      if (own.has(term) || added.has(term) || !index.postings.terms.has(term)) continue;
      weights.set(term, Math.max(weights.get(term) ?? 0, weight));
    }
  }
  addRelatedWords(index, queries, best, fields, weights, ASSOCIATION_SHARE);
}

/** A scored paper while a topic is matched: its evidence is worded at the end, for the papers kept. */
type Best = Map<number, { relevance: number; score: number; ideal: number; fields: number; label: string; query?: Query; words: ReadonlySet<string>; together: boolean; related?: string[] }>;

/**
 * Adds a query of related words to every paper's score, interpolated on the score
 * scale: a paper with every related word scores `share` of the ideal for the typed
 * ones, each word by its weight and rarity. Papers with only related words come in.
 */
function addRelatedWords(index: PaperIndex, queries: Query[], best: Best, fields: Field[], weights: ReadonlyMap<string, number>, share: number): void {
  const ideal = Math.max(...queries.map((query) => idealScore(index, query)));
  let mass = 0;
  for (const [term, weight] of weights) mass += weight * inverseFrequency(index.stats, term) * saturate(IDEAL_FREQUENCY);
  if (mass === 0) return;
  const words = [...weights].map(([term, weight]) => ({ term, word: index.surface.get(term) ?? term, weight: (share * ideal * weight) / mass }));
  const query: Query = { label: "", words, phrases: [], pairs: [] };
  // "Quoted phrases" stay required: a paper without the phrases of any wording does not come in by related words.
  const phrased = queries.map((wording) => wording.phrases.map((phrase) => papersWithPhrase(index, phrase, fields)));
  const admits = (paperId: number) => phrased.some((required) => required.every((papers) => papers.has(paperId)));
  for (const [paperId, found] of scoreQuery(index, query, fields)) {
    const known = best.get(paperId);
    const related = [...found.words];
    if (!known && !admits(paperId)) continue;
    if (known) {
      known.score += found.score;
      known.relevance = onScale(known.score, known.ideal);
      known.related = known.related ? [...known.related, ...related] : related;
    } else {
      best.set(paperId, { relevance: onScale(found.score, ideal), score: found.score, ideal, fields: found.fields, label: queries[0]?.label ?? "", words: NO_WORDS, together: false, related });
    }
  }
}
