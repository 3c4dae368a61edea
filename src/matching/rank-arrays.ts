// The typed arrays a ranking scores in (pure): each candidate paper's slot, each
// topic's hits packed by slot, scratch arrays reused between rankings, and the
// selection of the best entries. See rankAll in rank.ts.
import type { TopicHit } from "./match.ts";

/** The first `limit` of `items` in the order of `before`, sorted; only an item that beats the last kept is placed (few do, after the first). */
export function bestOf(items: number[], limit: number, before: (a: number, b: number) => number): number[] {
  if (items.length <= limit) return items.sort(before);
  const kept: number[] = [];
  for (const item of items) {
    if (kept.length === limit && before(item, kept[limit - 1]!) >= 0) continue;
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (before(kept[middle]!, item) <= 0) low = middle + 1;
      else high = middle;
    }
    kept.splice(low, 0, item);
    if (kept.length > limit) kept.pop();
  }
  return kept;
}

/** Each paper of a candidate set numbered 0…n−1 once (in the map's order), for the typed arrays ranking scores in. */
export function slotsOf<Paper extends { id: number }>(papers: Map<number, Paper>): { slotOf: Map<number, number>; paperAt: Paper[] } {
  let known = paperSlots.get(papers) as { slotOf: Map<number, number>; paperAt: Paper[] } | undefined;
  if (!known || known.paperAt.length !== papers.size) {
    const paperAt = [...papers.values()];
    known = { slotOf: new Map(paperAt.map((paper, slot) => [paper.id, slot])), paperAt };
    paperSlots.set(papers, known);
  }
  return known;
}

const paperSlots = new WeakMap<Map<number, { id: number }>, { slotOf: Map<number, number>; paperAt: Array<{ id: number }> }>();

/** A topic's hits as slots (−1: not a candidate) and relevance, strongest first, packed once per candidate set and topic. */
export function packedHits(papers: Map<number, { id: number }>, hits: Map<number, TopicHit>): { slots: Int32Array; relevance: Float64Array } {
  const known = packed.get(hits);
  if (known && known.papers === papers) return known;
  const { slotOf } = slotsOf(papers);
  const strongest = [...hits.values()].sort((a, b) => b.relevance - a.relevance);
  const slots = new Int32Array(strongest.length);
  const relevance = new Float64Array(strongest.length);
  strongest.forEach((hit, i) => {
    slots[i] = slotOf.get(hit.paperId) ?? -1;
    relevance[i] = hit.relevance;
  });
  const made = { papers, slots, relevance };
  packed.set(hits, made);
  return made;
}

const packed = new WeakMap<Map<number, TopicHit>, { papers: Map<number, { id: number }>; slots: Int32Array; relevance: Float64Array }>();

type Scratch = { best: Float64Array; clearing: Int32Array; stamp: Int32Array; relevance: Float64Array; score: Float64Array; generation: number };
let scratchArrays: Scratch = { best: new Float64Array(0), clearing: new Int32Array(0), stamp: new Int32Array(0), relevance: new Float64Array(0), score: new Float64Array(0), generation: 0 };

/** Arrays by slot for `papers` candidates, reused between rankings (ranking is synchronous). */
export function scratchFor(papers: number): Scratch {
  if (scratchArrays.best.length < papers) {
    const size = Math.max(papers, 2 * scratchArrays.best.length);
    scratchArrays = { best: new Float64Array(size), clearing: new Int32Array(size), stamp: new Int32Array(size), relevance: new Float64Array(size), score: new Float64Array(size), generation: 0 };
  }
  return scratchArrays;
}
