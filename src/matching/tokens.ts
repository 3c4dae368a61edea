// Tokenising and plural folding shared by topic queries and paper text, so that
// both sides of a match are normalised the same way.

const WORD = /[\p{L}\p{N}]+/gu;

// Scripts written without spaces between words: each character is a term, so that a
// topic in Chinese or Japanese matches as a phrase of consecutive characters.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const UNSPACED_RUNS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu;

/** Lower-cased words with diacritics removed ("Vision-Language Models" → vision, language, models). */
export function splitWords(text: string): string[] {
  const words = text.normalize("NFKD").replace(/\p{M}+/gu, "").normalize("NFC").toLowerCase().match(WORD) ?? [];
  return words.flatMap((word) => (UNSPACED.test(word) ? (word.match(UNSPACED_RUNS) ?? []) : [word]));
}

/**
 * Folds English plurals to a common form: agents → agent, studies → study,
 * matches → match, analyses → analys(is). Deliberately light: it must only make
 * singular and plural meet, never merge different words.
 */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith("ies") && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith("sses")) return word.slice(0, -2);
  if (/(ch|sh|x|z)es$/.test(word)) return word.slice(0, -2);
  if (/(ys|thes)es$/.test(word)) return `${word.slice(0, -2)}is`;
  if (word.endsWith("s") && !/(ss|us|is|ys)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** splitWords then stem: the terms an index and a query are built from. */
export function toTerms(text: string): string[] {
  return splitWords(text).map(stem);
}
