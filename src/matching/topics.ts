// Topic queries: parsing what a subscriber typed into a normalised, shareable
// topic, and compiling it into terms the matcher can test.
import { AppError } from "../errors.ts";
import { findCategory } from "./categories.ts";
import type { Field } from "./match.ts";
import { expandSynonyms } from "./synonyms.ts";
import { toTerms } from "./tokens.ts";

export const MAX_TOPIC_LENGTH = 200;

export type TopicKind = "keyword" | "phrase" | "category" | "author" | "exclude";

/**
 * A stored topic. `keyword`: words and "phrases" that must all appear; `phrase`:
 * one exact phrase; `author`: a name among the authors; `category`: an arXiv
 * category; `exclude`: a keyword query whose matches are left out.
 */
export type TopicSpec = { kind: TopicKind; query: string };

/**
 * One thing that must appear: a single term, or consecutive terms for a phrase.
 * `alternatives` are the term sequences that satisfy it (itself first, then its
 * synonyms, or the options of an "any of" group).
 */
export type Clause = { text: string; terms: string[]; alternatives: string[][] };

export type CompiledTopic = {
  /** "kind:query", unique per distinct topic. */
  key: string;
  kind: TopicKind;
  /** How the reader typed it, for "why" lines: agents, "diffusion video". */
  label: string;
  clauses: Clause[];
  /** Where the clauses must occur; undefined means any text field. */
  fields?: Field[];
};

/**
 * Parses user input: `agents`, `diffusion video` (both words), `"mixture of
 * experts"` (the phrase), `author:"Yann LeCun"`, `cat:cs.CL`, `-survey` (leave
 * out). Throws INVALID_TOPIC saying what is wrong and where.
 */
export function parseTopic(input: string): TopicSpec {
  const text = input.normalize("NFC").replace(/\s+/g, " ").trim();
  if (text === "") throw invalid("a topic cannot be empty");
  if (text.length > MAX_TOPIC_LENGTH) throw invalid(`a topic can be at most ${MAX_TOPIC_LENGTH} characters (this one has ${text.length})`);
  if (/[\p{Cc}\p{Cf}]/u.test(text)) throw invalid("a topic cannot contain control characters");

  const prefixed = /^(author|cat|category):\s*(.*)$/i.exec(text);
  if (prefixed) {
    const [, prefix = "", rest = ""] = prefixed;
    if (prefix.toLowerCase() === "author") return { kind: "author", query: parseWords(unquote(rest), text).query };
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

function parseWords(text: string, original: string): TopicSpec {
  const clauses = splitClauses(text, original);
  if (clauses.length === 0) throw invalid(`"${original}" has no words to match`);
  const query = clauses.map(formatClause).join(" ").toLowerCase();
  const onlyPhrase = clauses.length === 1 && clauses[0]?.quoted === true;
  return { kind: onlyPhrase ? "phrase" : "keyword", query: onlyPhrase ? (clauses[0]?.text.toLowerCase() ?? query) : query };
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
  const base = { key: topicKey(topic), kind: topic.kind };
  switch (topic.kind) {
    case "phrase":
      return { ...base, label: topic.query, clauses: [toClause(topic.query)] };
    case "author":
      return { ...base, label: topic.query, clauses: [toClause(topic.query, true)], fields: ["authors"] };
    case "category":
      return { ...base, label: topic.query, clauses: [toClause(topic.query, true)], fields: ["categories"] };
    default:
      return { ...base, label: topic.query, clauses: splitClauses(topic.query, topic.query).map(toGroupClause) };
  }
}

/** A clause for `text`, expanded with its synonyms unless `exact` (authors, categories). */
function toClause(text: string, exact = false): Clause {
  const terms = toTerms(text);
  return { text, terms, alternatives: exact ? [terms] : expandSynonyms(terms) };
}

function toGroupClause(raw: RawClause): Clause {
  if (!raw.options) return toClause(raw.text);
  const alternatives = raw.options.flatMap((option) => toClause(option.replace(/^"|"$/g, "")).alternatives);
  return { text: formatClause(raw), terms: alternatives[0] ?? [], alternatives };
}

/** Identifies a distinct topic within a run. */
export function topicKey(topic: TopicSpec): string {
  return `${topic.kind}:${topic.query}`;
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
    default:
      return topic.query;
  }
}

/** A word, a "quoted phrase", or an "any of" group `(a | "b c" | d e)` (each option a phrase). */
type RawClause = { text: string; quoted: boolean; options?: string[] };

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
      if (end < 0) throw invalid(`unbalanced quote at character ${at(position)} of ${original}`);
      const phrase = text.slice(position + 1, end).trim();
      if (toTerms(phrase).length > 0) clauses.push({ text: phrase, quoted: true });
      position = end + 1;
    } else if (char === "(") {
      const end = text.indexOf(")", position + 1);
      const nested = text.indexOf("(", position + 1);
      if (end < 0 || (nested >= 0 && nested < end)) throw invalid(`unbalanced parenthesis at character ${at(position)} of ${original}`);
      const inner = text.slice(position + 1, end);
      if ([...inner].filter((c) => c === '"').length % 2 === 1) throw invalid(`unbalanced quote inside the group at character ${at(position)} of ${original}`);
      const options = inner
        .split("|")
        .map((option) => option.trim().replace(/^"(.*)"$/, "$1").trim())
        .filter((option) => toTerms(option).length > 0)
        .map((option) => (option.includes(" ") ? `"${option}"` : option));
      if (options.length === 0) throw invalid(`the group at character ${at(position)} of ${original} has no words to match`);
      clauses.push(options.length === 1 ? { text: options[0]!.replace(/^"(.*)"$/, "$1"), quoted: options[0]!.startsWith('"') } : { text: inner, quoted: false, options });
      position = end + 1;
    } else if (char === ")" || char === "|") {
      throw invalid(`unexpected "${char}" at character ${at(position)} of ${original} (groups look like (a | b))`);
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
