// Tokenising, stemming and stop words shared by topic queries and paper text, so
// that both sides of a match are normalised the same way.
import { stemmer } from "stemmer";
import { eng } from "stopword";

const WORD = /[\p{L}\p{N}]+/gu;
const ASCII = /^[\x00-\x7f]*$/;
const ASCII_WORD = /[a-z0-9]+/g;

// Scripts written without spaces between words: each character is a term, so that a
// topic in Chinese or Japanese matches as a phrase of consecutive characters.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const UNSPACED_RUNS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu;

/** English stop words (the `stopword` package's list) and a few words titles use as glue. */
const STOP_WORDS = new Set([...eng, "via", "using", "towards", "toward", "vs", "versus", "without", "within"]);

/** Lower-cased words with diacritics removed ("Vision-Language Models" → vision, language, models). */
export function splitWords(text: string): string[] {
  // Most paper text is ASCII, which needs neither normalising nor the Unicode classes.
  if (ASCII.test(text)) return text.toLowerCase().match(ASCII_WORD) ?? [];
  const words =
    text
      .normalize("NFKD")
      .replace(/\p{M}+/gu, "")
      .normalize("NFC")
      .toLowerCase()
      .match(WORD) ?? [];
  return words.flatMap((word) => (UNSPACED.test(word) ? (word.match(UNSPACED_RUNS) ?? []) : [word]));
}

/**
 * The Porter stem of an English word (retrieval, retrieving → retriev; agents,
 * agentic → agent). Short words, words with digits (gpt4, 3d) and other scripts
 * are kept as they are.
 */
export function stem(word: string): string {
  return wordForms(word).stem;
}

/** A word's index term (its stem; stop words as they are) and its plural fold, worked out once per distinct word. */
export function wordForms(word: string): { term: string; stem: string; fold: string } {
  let forms = known.get(word);
  if (forms === undefined) {
    if (known.size >= WORDS_KEPT) known.clear();
    const stemmed = word.length <= 3 || !/^[a-z]+$/.test(word) ? word : stemmer(word);
    forms = { term: STOP_WORDS.has(word) ? word : stemmed, stem: stemmed, fold: foldPlural(word) };
    known.set(word, forms);
  }
  return forms;
}

/** A day's papers use a few thousand distinct words, each many times. */
const known = new Map<string, { term: string; stem: string; fold: string }>();
const WORDS_KEPT = 100_000;

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
  return splitWords(text).map((word) => wordForms(word).term);
}
