// Topic queries: parsing what a subscriber typed into a normalised, shareable
// topic, and compiling it into terms the matcher can test.
import { AppError } from "../errors.ts";
import { toTerms } from "./tokens.ts";

export const MAX_TOPIC_LENGTH = 200;

/** A stored topic: `keyword` is a set of words/phrases that must all appear; `phrase` is one exact phrase. */
export type TopicSpec = { kind: "keyword" | "phrase"; query: string };

/** One thing that must appear: a single term, or consecutive terms for a phrase. */
export type Clause = { text: string; terms: string[] };

export type CompiledTopic = {
  /** "kind:query", unique per distinct topic. */
  key: string;
  /** How the reader typed it, for "why" lines: agents, "diffusion video". */
  label: string;
  clauses: Clause[];
};

/**
 * Parses user input such as `agents`, `diffusion video` (both words) or
 * `"mixture of experts"` (the phrase). Throws INVALID_TOPIC saying what is wrong.
 */
export function parseTopic(input: string): TopicSpec {
  const text = input.normalize("NFC").replace(/\s+/g, " ").trim();
  if (text === "") throw invalid("a topic cannot be empty");
  if (text.length > MAX_TOPIC_LENGTH) throw invalid(`a topic can be at most ${MAX_TOPIC_LENGTH} characters (this one has ${text.length})`);
  if (/[\p{Cc}\p{Cf}]/u.test(text)) throw invalid("a topic cannot contain control characters");

  const clauses = splitClauses(text);
  if (clauses.length === 0) throw invalid(`"${text}" has no words to match`);
  const query = clauses.map((clause) => (clause.quoted ? `"${clause.text}"` : clause.text)).join(" ").toLowerCase();
  const onlyPhrase = clauses.length === 1 && clauses[0]?.quoted === true;
  return { kind: onlyPhrase ? "phrase" : "keyword", query: onlyPhrase ? (clauses[0]?.text.toLowerCase() ?? query) : query };
}

/** Compiles a stored topic; deterministic, so the same topic compiles once per run. */
export function compileTopic(topic: TopicSpec): CompiledTopic {
  const parts = topic.kind === "phrase" ? [{ text: topic.query }] : splitClauses(topic.query);
  const clauses = parts.map((part) => ({ text: part.text, terms: toTerms(part.text) }));
  const label = topic.kind === "phrase" ? `"${topic.query}"` : topic.query;
  return { key: topicKey(topic), label, clauses: clauses.filter((clause) => clause.terms.length > 0) };
}

/** Identifies a distinct topic within a run. */
export function topicKey(topic: TopicSpec): string {
  return `${topic.kind}:${topic.query}`;
}

/** Formats a stored topic the way a reader would type it. */
export function formatTopic(topic: TopicSpec): string {
  return topic.kind === "phrase" ? `"${topic.query}"` : topic.query;
}

type RawClause = { text: string; quoted: boolean };

function splitClauses(text: string): RawClause[] {
  const quotes = [...text].filter((char) => char === '"').length;
  if (quotes % 2 === 1) {
    const at = text.lastIndexOf('"');
    throw invalid(`unbalanced quote at character ${at + 1}: "${text.slice(Math.max(0, at - 10), at + 10)}"`);
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
