// Topic queries: parsing what a subscriber typed into a normalised, shareable
// topic, and compiling it into terms the matcher can test.
import { AppError } from "../errors.ts";
import { findCategory } from "./categories.ts";
import type { Field } from "./match.ts";
import { toTerms } from "./tokens.ts";

export const MAX_TOPIC_LENGTH = 200;

export type TopicKind = "keyword" | "phrase" | "category" | "author" | "exclude";

/**
 * A stored topic. `keyword`: words and "phrases" that must all appear; `phrase`:
 * one exact phrase; `author`: a name among the authors; `category`: an arXiv
 * category; `exclude`: a keyword query whose matches are left out.
 */
export type TopicSpec = { kind: TopicKind; query: string };

/** One thing that must appear: a single term, or consecutive terms for a phrase. */
export type Clause = { text: string; terms: string[] };

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
  const query = clauses.map((clause) => (clause.quoted ? `"${clause.text}"` : clause.text)).join(" ").toLowerCase();
  const onlyPhrase = clauses.length === 1 && clauses[0]?.quoted === true;
  return { kind: onlyPhrase ? "phrase" : "keyword", query: onlyPhrase ? (clauses[0]?.text.toLowerCase() ?? query) : query };
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
      return { ...base, label: topic.query, clauses: [toClause(topic.query)], fields: ["authors"] };
    case "category":
      return { ...base, label: topic.query, clauses: [toClause(topic.query)], fields: ["categories"] };
    default:
      return { ...base, label: topic.query, clauses: splitClauses(topic.query, topic.query).map((part) => toClause(part.text)) };
  }
}

function toClause(text: string): Clause {
  return { text, terms: toTerms(text) };
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

type RawClause = { text: string; quoted: boolean };

function splitClauses(text: string, original: string): RawClause[] {
  const quotes = [...text].filter((char) => char === '"').length;
  if (quotes % 2 === 1) {
    const at = original.lastIndexOf('"');
    throw invalid(`unbalanced quote at character ${at + 1} of ${original}`);
  }
  const clauses: RawClause[] = [];
  for (const [index, part] of text.split('"').entries()) {
    const quoted = index % 2 === 1;
    const words = part.trim();
    if (words === "" || toTerms(words).length === 0) continue;
    if (quoted) clauses.push({ text: words, quoted });
    else clauses.push(...words.split(" ").filter((word) => toTerms(word).length > 0).map((word) => ({ text: word, quoted })));
  }
  return clauses;
}

function invalid(message: string): AppError {
  return new AppError("INVALID_TOPIC", message, { field: "topic" });
}
