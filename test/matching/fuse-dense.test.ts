import { describe, expect, it } from "vitest";
import { cosine, decodeVector, dot, encodeVector, normalize } from "../../src/matching/embedder.ts";
import { calibrateSimilarity, fuseDense } from "../../src/matching/fuse-dense.ts";
import type { TopicHit } from "../../src/matching/match.ts";
import { MIN_RELEVANCE } from "../../src/matching/rank.ts";

const hit = (paperId: number, relevance: number): TopicHit => ({ paperId, relevance, fields: ["title"], evidence: { label: "agents", words: ["agents"], missing: [], together: true, related: [] } });
/** A window of `size` unrelated papers (cosine around `baseline`) plus the given ones. */
const window = (size: number, baseline: number, extra: Record<number, number> = {}) =>
  new Map<number, number>([
    ...Array.from({ length: size }, (_, i) => [1000 + i, baseline + ((i % 7) - 3) * 0.01] as [number, number]),
    ...Object.entries(extra).map(([id, value]) => [Number(id), value] as [number, number]),
  ]);
const byId = (hits: TopicHit[]) => new Map(hits.map((entry) => [entry.paperId, entry]));

describe("calibrateSimilarity", () => {
  it.each([
    ["a model whose unrelated texts score 0.1", 0.1],
    ["a model whose unrelated texts score 0.5", 0.5],
  ])("puts the floor above what unrelated papers score, for %s", (_, baseline) => {
    const calibration = calibrateSimilarity(window(40, baseline, { 1: baseline + 0.4 }))!;
    expect(calibration.median).toBeCloseTo(baseline, 1);
    expect(calibration.floor).toBeGreaterThanOrEqual(baseline + 0.15);
    expect(calibration.floor).toBeLessThan(baseline + 0.4);
  });

  it("has nothing to calibrate without vectors", () => {
    expect(calibrateSimilarity(new Map())).toBeUndefined();
  });
});

describe("fuseDense", () => {
  it("lets a paper in by meaning alone, at the cut or above it but below a paper about the topic", () => {
    const fused = byId(fuseDense([hit(1, 0.8)], window(40, 0.1, { 1: 0.5, 2: 0.45 }), "agents"));
    const dense = fused.get(2)!;
    expect(dense.relevance).toBeGreaterThanOrEqual(MIN_RELEVANCE);
    expect(dense.relevance).toBeLessThan(fused.get(1)!.relevance);
    expect(dense.evidence).toMatchObject({ label: "agents", words: [], similarity: 0.45 });
    expect(dense.fields).toEqual([]);
  });

  it("raises a lexical hit that is also similar (noisy-or), and leaves the others as they were", () => {
    const fused = byId(fuseDense([hit(1, 0.2), hit(3, 0.2)], window(40, 0.1, { 1: 0.5 }), "agents"));
    expect(fused.get(1)!.relevance).toBeGreaterThan(0.2 + MIN_RELEVANCE - 0.2 * MIN_RELEVANCE - 1e-9);
    expect(fused.get(1)!.evidence.words).toEqual(["agents"]);
    expect(fused.get(3)).toEqual(hit(3, 0.2));
  });

  it("adds nothing when no paper stands out from the window (a topic the day has no paper on)", () => {
    const lexical = [hit(1, 0.4)];
    expect(fuseDense(lexical, window(60, 0.3), "agents")).toEqual(lexical);
  });

  it("takes at most ten papers by similarity, the most similar ones", () => {
    const similar = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [i + 1, 0.9 - i * 0.01]));
    const fused = fuseDense([], window(40, 0.1, similar), "agents");
    expect(fused.map((entry) => entry.paperId).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("is the lexical ranking unchanged without vectors", () => {
    expect(fuseDense([hit(1, 0.5)], new Map(), "agents")).toEqual([hit(1, 0.5)]);
  });
});

describe("encodeVector / decodeVector", () => {
  it("stores float32 little-endian and reads it back", () => {
    const vector = Float32Array.from([1, -0.5, 0.25, 3.5]);
    const bytes = encodeVector(vector);
    expect([...bytes.slice(0, 4)]).toEqual([0, 0, 0x80, 0x3f]); // 1.0f, little-endian
    expect([...decodeVector(bytes)!]).toEqual([...vector]);
    expect(decodeVector(new Uint8Array(6))).toBeUndefined();
  });
});

describe("normalize / dot", () => {
  it("makes the dot product the cosine, and leaves a zero vector alone", () => {
    const a = Float32Array.from([3, 4, 0]);
    const b = Float32Array.from([1, 1, 1]);
    expect(dot(normalize(a), normalize(b))).toBeCloseTo(cosine(a, b), 6);
    expect([...normalize(new Float32Array(2))]).toEqual([0, 0]);
    expect(dot(a, Float32Array.from([1, 2]))).toBe(0);
  });
});
