// The short summary shown on paper cards and the landing page (pure).
// Paper text is untrusted and unbounded here: only the opening is ever read, in
// one pass, so the cost does not depend on the length of the text.

export const SUMMARY_LIMIT = 320;
/** Characters read past the limit, to see whether a sentence ends there. */
const LOOKAHEAD = 40;
const MAX_SENTENCES = 2;

// Words that end with a dot without ending the sentence ("e.g. Fig. 3").
const ABBREVIATIONS = new Set([
  "al",
  "approx",
  "cf",
  "co",
  "dr",
  "e.g",
  "eg",
  "eq",
  "eqs",
  "fig",
  "figs",
  "i.e",
  "ie",
  "inc",
  "jr",
  "mr",
  "mrs",
  "ms",
  "no",
  "nos",
  "prof",
  "ref",
  "refs",
  "resp",
  "sec",
  "sr",
  "st",
  "tab",
  "viz",
  "vol",
  "vs",
]);
const CLOSERS = new Set(['"', "'", ")", "]", "”", "’"]);

/**
 * The first sentence or two, at most SUMMARY_LIMIT characters, cut at a word
 * boundary with "…" when the first sentence alone is longer. A dot inside a
 * number ("2.0"), a name ("DR.Q") or after an abbreviation or initial is not a
 * sentence end. Reads at most SUMMARY_LIMIT + 40 characters of `text`.
 */
export function summarise(text: string): string {
  const head = readHead(text);
  let summary = "";
  let start = 0;
  let sentences = 0;
  for (const end of findSentenceEnds(head)) {
    const sentence = head.slice(start, end);
    if (summary !== "" && summary.length + sentence.length > SUMMARY_LIMIT) break;
    summary += sentence;
    start = end;
    if (++sentences === MAX_SENTENCES) break;
  }
  summary = summary.trim();
  if (summary.length <= SUMMARY_LIMIT) return summary;
  return `${cutAtWord(summary, SUMMARY_LIMIT - 1)}…`;
}

/** The opening of `text`, white space collapsed to single spaces: all a summary can ever use. */
function readHead(text: string): string {
  const length = SUMMARY_LIMIT + LOOKAHEAD;
  let head = "";
  let space = false;
  for (let i = 0; i < text.length && head.length < length; i++) {
    const char = text[i]!;
    if (isSpace(char.charCodeAt(0))) space = head !== "";
    else {
      if (space) head += " ";
      head += char;
      space = false;
    }
  }
  return head;
}

/**
 * Offsets just after each sentence of `head` (its spaces included), the last
 * one being the end of `head`: a sentence that runs past it is still a sentence.
 */
function* findSentenceEnds(head: string): Generator<number> {
  let i = 0;
  while (i < head.length) {
    const char = head[i]!;
    if (char !== "." && char !== "!" && char !== "?") {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < head.length && (head[end] === "." || head[end] === "!" || head[end] === "?" || CLOSERS.has(head[end]!))) end++;
    if (end < head.length && head[end] !== " ") {
      i = end;
      continue;
    }
    if (!(char === "." && end === i + 1 && isAbbreviation(head, i))) {
      while (end < head.length && head[end] === " ") end++;
      yield end;
    }
    i = end;
  }
  yield head.length;
}

/** Whether the word before the dot at `dot` is an abbreviation or an initial ("J. Smith"). */
function isAbbreviation(head: string, dot: number): boolean {
  let start = dot;
  while (start > 0 && head[start - 1] !== " " && dot - start < 8) start--;
  const word = head.slice(start, dot).replace(/^[("'“‘[]+/, "");
  if (/^\p{Lu}$/u.test(word)) return true;
  return ABBREVIATIONS.has(word.toLowerCase());
}

/** `text` cut before `limit` at the last space, or at `limit` when there is none; never splits a surrogate pair. */
export function cutAtWord(text: string, limit: number): string {
  const space = text.lastIndexOf(" ", limit);
  let cut = space > 0 ? space : limit;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return text.slice(0, cut).trimEnd();
}

function isSpace(code: number): boolean {
  return (
    code === 32 ||
    (code >= 9 && code <= 13) ||
    code === 0xa0 ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0xfeff ||
    code === 0x3000 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x1680 ||
    code === 0x202f ||
    code === 0x205f
  );
}
