// Tokenising, stemming and stop words shared by topic queries and paper text, so
// that both sides of a match are normalised the same way.
import { stemmer } from "stemmer";
import { eng } from "stopword";

const WORD = /[\p{L}\p{N}]+/gu;

// Scripts written without spaces between words: each character is a term, so that a
// topic in Chinese or Japanese matches as a phrase of consecutive characters.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const UNSPACED_RUNS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu;

/** English stop words (the `stopword` package's list) and a few words titles use as glue. */
const STOP_WORDS = new Set([...eng, "via", "using", "towards", "toward", "vs", "versus", "without", "within"]);

/** Lower-cased words with diacritics removed ("Vision-Language Models" → vision, language, models). */
export function splitWords(text: string): string[] {
  const words = text.normalize("NFKD").replace(/\p{M}+/gu, "").normalize("NFC").toLowerCase().match(WORD) ?? [];
  return words.flatMap((word) => (UNSPACED.test(word) ? (word.match(UNSPACED_RUNS) ?? []) : [word]));
}

/**
 * The Porter stem of an English word (retrieval, retrieving → retriev; agents,
 * agentic → agent). Short words, words with digits (gpt4, 3d) and other scripts
 * are kept as they are.
 */
export function stem(word: string): string {
  if (word.length <= 3 || !/^[a-z]+$/.test(word)) return word;
  return stemmer(word);
}

/**
 * Folds English plurals only: agents → agent, studies → study, matches → match,
 * analyses → analysis. Two words with the same fold are the same word; the stem
 * may join more (optimizer and optimization), which counts less.
 */
export function foldPlural(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith("ies") && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith("sses")) return word.slice(0, -2);
  if (/(ch|sh|x|z)es$/.test(word)) return word.slice(0, -2);
  if (/(ys|thes)es$/.test(word)) return `${word.slice(0, -2)}is`;
  if (word.endsWith("s") && !/(ss|us|is|ys)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** True for words that carry no topic of their own ("and", "of", "via"). */
export function isStopWord(term: string): boolean {
  return STOP_WORDS.has(term);
}

/** splitWords then stem: the terms an index and a query are built from, stop words included (phrases need them). */
export function toTerms(text: string): string[] {
  return splitWords(text).map((word) => (STOP_WORDS.has(word) ? word : stem(word)));
}
