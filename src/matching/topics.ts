// Topic queries: parsing what a subscriber typed into a normalised, shareable
// topic, and compiling it into the ranked queries the matcher scores.
import { AppError } from "../errors.ts";
import { ARXIV_ID, stripVersion } from "../arxiv-id.ts";
import { findCategory } from "./categories.ts";
import type { Field } from "./paper-index.ts";
import { synonymsOf } from "./synonyms.ts";
import { foldPlural, isStopWord, splitWords, toTerms } from "./tokens.ts";

export const MAX_TOPIC_LENGTH = 200;

export type TopicKind = "keyword" | "phrase" | "category" | "author" | "exclude" | "like";

/**
 * A stored topic. `keyword`: a ranked query — words count for a paper, none is
 * required except "quoted phrases"; alternatives are separated by ", ". `phrase`:
 * one exact phrase; `author`: a name among the authors; `category`: an arXiv
 * category; `exclude`: papers matching it are left out; `like`: papers like the
 * one with this arXiv id.
 */
export type TopicSpec = { kind: TopicKind; query: string };

/** A word of a query: its term (stem) and the word as typed, for why-lines. */
export type QueryWord = { term: string; word: string; weight: number; form?: string };

/**
 * One ranked query: its words count for a paper (rarer ones more), `phrases`
 * must occur as they are, adjacent `pairs` earn a bonus when they occur together.
 */
export type Query = {
  /** The alternative as typed ("embodied ai"), for why-lines. */
  label: string;
  /** Set when the query is a synonym's wording of the typed one ("retrieval augmented generation" for rag). */
  via?: string;
  words: QueryWord[];
  phrases: string[][];
  pairs: Array<[string, string]>;
};

export type CompiledTopic = {
  /** "kind:query", unique per distinct topic. */
  key: string;
  kind: TopicKind;
  /** How the reader typed it, for "why" lines: agents, "diffusion video". */
  label: string;
  /** The ranked queries, any of which may match (alternatives, synonym wordings); empty for `like` until its paper is known. */
  queries: Query[];
  /** Where the queries are looked for; undefined means title, AI keywords and abstract. */
  fields?: Field[];
  /** `like` topics: the arXiv id of the paper. */
  seed?: string;
};

const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** Most wordings a topic expands into (alternatives × groups × synonyms). */
const MAX_QUERIES = 12;

/**
 * Parses user input: `agents`, `diffusion video` (both words count), `"mixture of
 * experts"` (the phrase), `speech, audio` / `a / b` / `a or b` (alternatives),
 * `author:"Yann LeCun"`, `cat:cs.CL`, `-survey` (leave out), `like:2605.13724`.
 * Throws INVALID_TOPIC saying what is wrong and where.
 */
export function parseTopic(input: string): TopicSpec {
  const text = input.normalize("NFC").replace(/\s+/g, " ").trim();
  if (text === "") throw invalid("a topic cannot be empty");
  if (text.length > MAX_TOPIC_LENGTH) throw invalid(`a topic can be at most ${MAX_TOPIC_LENGTH} characters (this one has ${text.length})`);
  if (/[\p{Cc}\p{Cf}]/u.test(text)) throw invalid("a topic cannot contain control characters");

  const prefixed = /^(author|cat|category|like):\s*(.*)$/i.exec(text);
  if (prefixed) {
    const [, prefix = "", rest = ""] = prefixed;
    const name = prefix.toLowerCase();
    // The name as the reader wrote it (matching ignores case): "Yann LeCun" stays "Yann LeCun" on the page and in the email.
    if (name === "author") return { kind: "author", query: authorName(unquote(rest), text) };
    if (name === "like") return { kind: "like", query: parsePaperReference(rest, text) };
    const category = findCategory(rest);
    if (!category) throw invalid(`unknown arXiv category "${rest}" (e.g. cat:cs.CL)`);
    return { kind: "category", query: category };
  }
  if (text.startsWith("-")) {
    const excluded = parseWords(text.slice(1).trim(), text);
    return { kind: "exclude", query: excluded.kind === "phrase" ? `"${excluded.query}"` : excluded.query };
  }
  return parseWords(text, text);
}

/**
 * The arXiv id in `2605.13724`, `arXiv:2605.13724v2`, an arxiv.org abs/pdf URL or a
 * huggingface.co/papers URL, without its version.
 */
export function parsePaperReference(text: string, original = text): string {
  const trimmed = text.trim().replace(/^arxiv:\s*/i, "");
  const fromUrl = /^https?:\/\/(?:www\.)?(?:arxiv\.org\/(?:abs|pdf)|huggingface\.co\/papers)\/([^?#\s]+?)(?:\.pdf)?\/?(?:[?#].*)?$/i.exec(trimmed)?.[1];
  const id = fromUrl ?? trimmed;
  if (!ARXIV_ID.test(id)) throw invalid(`"${original}" does not name an arXiv paper (e.g. like:2605.13724 or like:https://arxiv.org/abs/2605.13724)`);
  return stripVersion(id);
}

function parseWords(text: string, original: string): TopicSpec {
  const alternatives = splitAlternatives(text, original)
    .map((alternative) => splitClauses(alternative, original))
    .filter((clauses) => clauses.length > 0);
  if (alternatives.length === 0) throw invalid(`"${original}" has no words to match`);
  const query = alternatives
    .map((clauses) => clauses.map(formatClause).join(" "))
    .join(", ")
    .toLowerCase();
  const onlyPhrase = alternatives.length === 1 && alternatives[0]!.length === 1 && alternatives[0]![0]!.quoted;
  return { kind: onlyPhrase ? "phrase" : "keyword", query: onlyPhrase ? alternatives[0]![0]!.text.toLowerCase() : query };
}

function authorName(text: string, original: string): string {
  parseWords(text, original); // the same checks: some words, balanced quotes and parentheses
  return text
    .replace(/["()|]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function formatClause(clause: RawClause): string {
  if (clause.options) return `(${clause.options.join(" | ")})`;
  return clause.quoted ? `"${clause.text}"` : clause.text;
}

function unquote(text: string): string {
  const trimmed = text.trim();
  return /^".*"$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
}

/** Compiles a stored topic; deterministic, so the same topic compiles once per run. */
export function compileTopic(topic: TopicSpec): CompiledTopic {
  const base = { key: topicKey(topic), kind: topic.kind, label: topic.query };
  switch (topic.kind) {
    case "phrase":
      return { ...base, queries: withSynonyms([{ text: topic.query, quoted: true }]) };
    case "author":
      return { ...base, queries: [exactQuery(topic.query)], fields: ["authors"] };
    case "category":
      return { ...base, queries: [exactQuery(topic.query)], fields: ["categories"] };
    case "like":
      return { ...base, queries: [], seed: topic.query };
    case "exclude":
      // Leaving papers out must be certain: every word of an exclusion is required.
      return {
        ...base,
        queries: alternativesOf(topic.query)
          .flatMap(withSynonyms)
          .map((query) => ({ ...query, phrases: [...query.phrases, ...query.words.map((word) => [word.term])] })),
      };
    default:
      return { ...base, queries: alternativesOf(topic.query).flatMap(withSynonyms).slice(0, MAX_QUERIES) };
  }
}

function alternativesOf(query: string): RawClause[][] {
  return splitAlternatives(query, query)
    .map((alternative) => splitClauses(alternative, query))
    .filter((clauses) => clauses.length > 0);
}

/** A query whose words must all occur, in order (authors, categories). */
function exactQuery(text: string): Query {
  const terms = toTerms(text);
  return { label: text, words: terms.map((term, i) => ({ term, word: splitWords(text)[i] ?? term, weight: 1 })), phrases: [terms], pairs: [] };
}

/**
 * The queries of one alternative: its any-of groups multiplied out, and each of
 * those again in the wording of every synonym of a span of its words ("rag" →
 * "retrieval augmented generation").
 */
function withSynonyms(clauses: RawClause[]): Query[] {
  let sequences: RawClause[][] = [[]];
  for (const clause of clauses) {
    const options = clause.options ? clause.options.map((option) => ({ text: option.replace(/^"(.*)"$/, "$1"), quoted: option.startsWith('"') })) : [clause];
    sequences = sequences.flatMap((sequence) => options.map((option) => [...sequence, option])).slice(0, MAX_QUERIES);
  }
  return sequences.flatMap((sequence) => {
    const own = toQuery(sequence);
    return [own, ...synonymWordings(sequence).map((wording) => ({ ...toQuery(wording), label: own.label, via: wording.map((clause) => clause.text).join(" ") }))];
  });
}

/** The alternative with one clause (or the whole of it) replaced by each of its synonyms, each a fixed expression (quoted). */
function synonymWordings(sequence: RawClause[]): RawClause[][] {
  const wordings: RawClause[][] = [];
  for (const text of synonymsOf(toTerms(sequence.map((clause) => clause.text).join(" ")))) wordings.push([{ text, quoted: true }]);
  if (sequence.length > 1) {
    sequence.forEach((clause, i) => {
      for (const text of synonymsOf(toTerms(clause.text))) wordings.push(sequence.map((other, j) => (i === j ? { text, quoted: true } : other)));
    });
  }
  return wordings;
}

function toQuery(sequence: RawClause[]): Query {
  const words: QueryWord[] = [];
  const pairs: Array<[string, string]> = [];
  let previous: string | undefined;
  for (const clause of sequence) {
    const typed = splitWords(clause.text);
    for (const word of typed) {
      if (isStopWord(word)) continue;
      const term = toTerms(word)[0] ?? word;
      if (previous !== undefined && previous !== term) pairs.push([previous, term]);
      previous = term;
      if (!words.some((known) => known.term === term)) words.push({ term, word, weight: 1, form: foldPlural(word) });
    }
  }
  // Quoted phrases, and words of scripts written without spaces (each character is a term: they must stay together).
  const phrases = sequence.filter((clause) => clause.quoted || UNSPACED.test(clause.text)).map((clause) => toTerms(clause.text));
  // A query of stop words alone ("the who") keeps them as its words rather than match nothing.
  if (words.length === 0) for (const clause of sequence) for (const term of toTerms(clause.text)) words.push({ term, word: term, weight: 1 });
  return { label: sequence.map(formatClause).join(" "), words, phrases, pairs };
}

/** Identifies a distinct topic within a run. */
export function topicKey(topic: TopicSpec): string {
  return `${topic.kind}:${topic.query}`;
}

/** How a topic is read, in words for the manage page: "papers with the exact phrase “mixture of experts”". */
export function describeTopic(topic: TopicSpec): string {
  switch (topic.kind) {
    case "phrase":
      return `papers with the exact phrase “${topic.query}”`;
    case "author":
      return `papers by ${topic.query}`;
    case "category":
      return `papers in the arXiv category ${topic.query}`;
    case "exclude":
      return `leaves out papers about ${topic.query.replace(/^"(.*)"$/, "“$1”")}`;
    case "like":
      return `papers like arXiv ${topic.query}`;
    case "keyword": {
      const alternatives = topic.query.split(", ").map((alternative) => {
        if (alternative.includes("(")) return describeGrouped(alternative);
        const phrases = [...alternative.matchAll(/"([^"]+)"/g)].map((match) => `“${match[1]}”`);
        const words = alternative
          .replace(/"[^"]+"/g, " ")
          .replace(/\s+/g, " ")
          .trim()
          .replace(/ \| /g, " or ");
        return [words && `the ${/^\S+$/.test(words) ? "word" : "words"} ${words}`, phrases.length > 0 && `the exact ${phrases.length === 1 ? "phrase" : "phrases"} ${phrases.join(" and ")}`]
          .filter(Boolean)
          .join(", with ");
      });
      const read = alternatives.length === 1 ? `papers using ${alternatives[0]}` : `papers using any of: ${alternatives.join("; ")}`;
      return topic.query.includes('"') ? read : `${read} (more of them ranks higher)`;
    }
  }
}

/** An alternative with groups, part by part as typed: `(robot | "embodied agent") planning` → (robot or “embodied agent”) and planning. */
function describeGrouped(alternative: string): string {
  const phrase = (text: string) => text.replace(/"([^"]*)"/g, "“$1”");
  const parts = (alternative.match(/\([^)]*\)|"[^"]*"|[^\s()"]+/g) ?? []).map((part) =>
    part.startsWith("(")
      ? `(${part
          .slice(1, -1)
          .split("|")
          .map((option) => phrase(option.trim()))
          .join(" or ")})`
      : phrase(part),
  );
  return parts.length <= 1 ? (parts[0] ?? "") : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}

/** The topics a reader would call their topics, in words as typed: keywords and phrases (not categories, authors, papers or exclusions). */
export function topicWords(topics: TopicSpec[]): string[] {
  return topics.filter((topic) => topic.kind === "keyword" || topic.kind === "phrase").map(formatTopic);
}

/** Whether any topic picks papers (anything but exclusions): otherwise the reader gets the trending list. */
export function isPersonal(topics: TopicSpec[]): boolean {
  return topics.some((topic) => topic.kind !== "exclude");
}

/** Formats a stored topic the way a reader would type it; parseTopic reads it back. */
export function formatTopic(topic: TopicSpec): string {
  switch (topic.kind) {
    case "phrase":
      return `"${topic.query}"`;
    case "author":
      return `author:"${topic.query}"`;
    case "category":
      return `cat:${topic.query}`;
    case "exclude":
      return `-${topic.query}`;
    case "like":
      return `like:${topic.query}`;
    default:
      return topic.query;
  }
}

/** A word, a "quoted phrase", or an "any of" group `(a | "b c" | d e)` (each option a phrase). */
type RawClause = { text: string; quoted: boolean; options?: string[] };

/**
 * Splits a line into alternatives at `,` `;` `/` `|` and the word "or", outside
 * quotes and parentheses: "robot learning / embodied AI" → two queries.
 */
function splitAlternatives(text: string, original: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') quoted = !quoted;
    else if (!quoted && char === "(") depth++;
    else if (!quoted && char === ")") depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && (char === "," || char === ";" || char === "/" || char === "|")) {
      parts.push(text.slice(start, i));
      start = i + 1;
    } else if (!quoted && depth === 0 && /^ or /i.test(text.slice(i, i + 4))) {
      parts.push(text.slice(start, i));
      start = i + 4;
      i += 3;
    }
  }
  parts.push(text.slice(start));
  if (quoted) throw invalid(`the quote mark (") at character ${original.indexOf('"') + 1} of ${original} has no closing quote: add one, or remove it`);
  return parts.map((part) => part.trim()).filter((part) => part !== "");
}

function splitClauses(text: string, original: string): RawClause[] {
  const clauses: RawClause[] = [];
  const at = (index: number) => original.indexOf(text) + index + 1;
  let position = 0;
  while (position < text.length) {
    const char = text[position];
    if (char === " ") {
      position++;
    } else if (char === '"') {
      const end = text.indexOf('"', position + 1);
      if (end < 0) throw invalid(`the quote mark (") at character ${at(position)} of ${original} has no closing quote: add one, or remove it`);
      const phrase = text.slice(position + 1, end).trim();
      if (toTerms(phrase).length > 0) clauses.push({ text: phrase, quoted: true });
      position = end + 1;
    } else if (char === "(") {
      const end = text.indexOf(")", position + 1);
      const nested = text.indexOf("(", position + 1);
      if (end < 0 || (nested >= 0 && nested < end)) throw invalid(`the group opened at character ${at(position)} of ${original} is not closed, or holds another group: groups look like (a | b)`);
      const inner = text.slice(position + 1, end);
      if ([...inner].filter((c) => c === '"').length % 2 === 1) throw invalid(`the group at character ${at(position)} of ${original} has a quote mark (") with no closing quote`);
      const options = inner
        .split("|")
        .map((option) =>
          option
            .trim()
            .replace(/^"(.*)"$/, "$1")
            .trim(),
        )
        .filter((option) => toTerms(option).length > 0)
        .map((option) => (option.includes(" ") ? `"${option}"` : option));
      if (options.length === 0) throw invalid(`the group at character ${at(position)} of ${original} has no words to match`);
      clauses.push(options.length === 1 ? { text: options[0]!.replace(/^"(.*)"$/, "$1"), quoted: options[0]!.startsWith('"') } : { text: inner, quoted: false, options });
      position = end + 1;
    } else if (char === ")" || char === "|") {
      throw invalid(`the "${char}" at character ${at(position)} of ${original} has no group to close or separate: groups look like (a | b)`);
    } else {
      const rest = text.slice(position);
      const word = /^[^\s"()|]+/.exec(rest)?.[0] ?? rest;
      if (toTerms(word).length > 0) clauses.push({ text: word, quoted: false });
      position += word.length;
    }
  }
  return clauses;
}

function invalid(message: string): AppError {
  return new AppError("INVALID_TOPIC", message, { field: "topic" });
}
