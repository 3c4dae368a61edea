// Keeps `npm run eval` honest in CI: on the labelled set (test/fixtures/eval), the
// matcher must stay ahead of tf-idf cosine and BM25 on ranking, ahead of the old
// boolean matcher on the list it sends, and five votes must lift the weak topics.
import { describe, expect, it } from "vitest";
import { evaluate, mean, type Ranker } from "./evaluate.ts";

describe("matcher evaluation on the labelled set", () => {
  const results = evaluate();
  const average = (ranker: Ranker, metric: "ndcg5" | "recall" | "sentF1") => mean(results.map((r) => r.scores[ranker][metric]));

  it("ranks better than tf-idf cosine and BM25 (nDCG@5, recall@10)", () => {
    for (const baseline of ["tfidf", "bm25"] as const) {
      expect(average("paperboy", "ndcg5"), baseline).toBeGreaterThan(average(baseline, "ndcg5"));
      expect(average("paperboy", "recall"), baseline).toBeGreaterThan(average(baseline, "recall"));
    }
  });

  it("sends better lists than the old boolean matcher (F1 of the list sent)", () => {
    expect(average("paperboy", "sentF1")).toBeGreaterThan(average("boolean", "sentF1") + 0.1);
  });

  it("sends something whenever relevant papers exist", () => {
    expect(results.filter((r) => r.relevant > 0 && r.scores.paperboy.sent === 0).map((r) => r.topic)).toEqual([]);
  });

  it("lifts nDCG@5 by at least 0.10 on the topics below 0.8 after five simulated votes", () => {
    const weak = results.filter((r) => r.beforeVotes < 0.8);
    expect(weak.length).toBeGreaterThan(5);
    expect(mean(weak.map((r) => r.afterVotes - r.beforeVotes))).toBeGreaterThanOrEqual(0.1);
  });
});
