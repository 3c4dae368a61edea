// What a subscriber's 👍 / 👎 votes taught us, as term weights (Rocchio-style):
// terms of liked papers count for a paper, terms of disliked ones against (pure).
import { toTerms } from "./tokens.ts";

export type Vote = { text: string; vote: number };

/** Learned preferences: term weights from votes, and per-topic weights from "less of this topic". */
export type Profile = { terms: Map<string, number>; topicWeights: Map<string, number> };

export const EMPTY_PROFILE: Profile = { terms: new Map(), topicWeights: new Map() };

// Words too common in paper titles and keywords to say anything about taste.
const STOP = new Set(["a", "an", "and", "the", "of", "for", "in", "on", "to", "with", "via", "by", "from", "model", "learning", "towards", "toward", "using", "based", "is", "are", "we", "our", "at", "as", "its", "it"]);

/** The terms a paper is judged by: its title and AI keywords, without stop words. */
export function paperTerms(paper: { title: string; aiKeywords?: string[] }): string[] {
  return [...new Set(toTerms(`${paper.title} ${(paper.aiKeywords ?? []).join(" ")}`).filter((term) => !STOP.has(term) && term.length > 1))];
}

/** Sums each vote's terms (each paper's terms share its vote equally). */
export function buildTermWeights(votes: Vote[]): Map<string, number> {
  const weights = new Map<string, number>();
  for (const { text, vote } of votes) {
    const terms = paperTerms({ title: text });
    for (const term of terms) weights.set(term, (weights.get(term) ?? 0) + vote / Math.sqrt(terms.length));
  }
  return weights;
}

/** −1..1: how much the paper's terms lean towards what was liked (cosine of the two vectors). */
export function affinity(weights: Map<string, number>, terms: string[]): number {
  if (weights.size === 0 || terms.length === 0) return 0;
  let dot = 0;
  for (const term of terms) dot += weights.get(term) ?? 0;
  let norm = 0;
  for (const weight of weights.values()) norm += weight * weight;
  return norm === 0 ? 0 : Math.max(-1, Math.min(1, dot / (Math.sqrt(norm) * Math.sqrt(terms.length))));
}

/** The strongest learned terms, for the manage page. */
export function topTerms(weights: Map<string, number>, count: number): { liked: string[]; disliked: string[] } {
  const sorted = [...weights].sort((a, b) => b[1] - a[1]);
  return {
    liked: sorted.filter(([, weight]) => weight > 0).slice(0, count).map(([term]) => term),
    disliked: sorted.filter(([, weight]) => weight < 0).reverse().slice(0, count).map(([term]) => term),
  };
}
