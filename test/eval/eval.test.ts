// Keeps `npm run eval` honest in CI: the matcher must beat plain keyword matching
// on the labelled set, and five votes must not make the picks worse.
import { describe, expect, it } from "vitest";
import { evaluate, mean } from "./evaluate.ts";

describe("matcher evaluation on the labelled set", () => {
  const results = evaluate();

  it("beats plain keyword matching on precision@5, recall@10 and nDCG@5", () => {
    expect(mean(results.map((r) => r.matcher.ndcg5))).toBeGreaterThan(mean(results.map((r) => r.baseline.ndcg5)) + 0.1);
    expect(mean(results.map((r) => r.matcher.p5))).toBeGreaterThan(mean(results.map((r) => r.baseline.p5)));
    expect(mean(results.map((r) => r.matcher.recall))).toBeGreaterThan(mean(results.map((r) => r.baseline.recall)));
  });

  it("finds what keyword matching cannot: abbreviations and their long forms", () => {
    const rag = results.find((r) => r.topic === "rag")!;
    const rl = results.find((r) => r.topic === "rl")!;
    expect(rag.baseline.p5).toBe(0);
    expect(rag.matcher.p5).toBeGreaterThanOrEqual(0.6);
    expect(rl.matcher.ndcg5).toBeGreaterThan(rl.baseline.ndcg5 + 0.5);
  });

  it("does not get worse after five simulated votes", () => {
    expect(mean(results.map((r) => r.afterVotes))).toBeGreaterThanOrEqual(mean(results.map((r) => r.beforeVotes)));
  });
});
