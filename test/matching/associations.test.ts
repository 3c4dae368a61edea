import { describe, expect, it } from "vitest";
import { associatedTerms, associationKey, countCooccurrence, keyTerms } from "../../src/matching/associations.ts";
import { countCorpus } from "../../src/matching/corpus.ts";

const paper = (title: string, abstract = "", aiKeywords: string[] = []) => ({ title, abstract, aiKeywords });

describe("keyTerms", () => {
  it("takes the title's and keywords' terms and the words the abstract repeats, stemmed, without stop words or numbers", () => {
    const terms = keyTerms(paper("Message Passing for Graphs", "We pass messages. Nodes matter. Nodes update in 2026.", ["graph neural networks"]));
    expect(terms).toEqual(["graph", "messag", "network", "neural", "node", "pass"]);
  });
});

describe("associatedTerms", () => {
  // 12 papers on graph networks that say "message passing", two that also say "protein", 60 on other things that say "benchmark".
  const corpus = [
    ...Array.from({ length: 12 }, (_, i) => paper(`Graph networks with message passing ${i}`, "benchmark")),
    ...Array.from({ length: 2 }, (_, i) => paper(`Graph networks for protein design ${i}`, "protein protein")),
    ...Array.from({ length: 60 }, (_, i) => paper(`A benchmark of language models ${i}`, "benchmark benchmark")),
  ];
  const stats = countCorpus(corpus);
  const keyed = corpus.map(keyTerms);

  it("keeps words the topic's papers use far more than the corpus, and leaves out one paper's own and everyone's words", () => {
    const key = associationKey(["network", "graph", "of"]);
    expect(key).toBe("graph network");
    const cooccurrence = countCooccurrence(keyed, key);
    expect(cooccurrence.papers).toBe(14);
    const terms = associatedTerms(cooccurrence, stats, new Set(["graph", "network"])).map((entry) => entry.term);
    expect(terms).toEqual(["messag", "pass"]);
  });

  it("learns nothing from fewer than ten papers", () => {
    const few = countCooccurrence(keyed.slice(0, 9), "graph network");
    expect(few.papers).toBe(9);
    expect(associatedTerms(few, stats, new Set(["graph", "network"]))).toEqual([]);
    expect(associatedTerms(countCooccurrence(keyed.slice(0, 10), "graph network"), stats, new Set(["graph", "network"])).map((entry) => entry.term)).toEqual(["messag", "pass"]);
  });
});
