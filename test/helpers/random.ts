// Seeded randomness for tests, so a failure can be replayed.
import { randomInt } from "node:crypto";
import { expect } from "vitest";

/** PAPERBOY_TEST_SEED, or a fresh seed; printed with how to replay it. */
export function readTestSeed(what: string, testFile: string): number {
  const seed = process.env.PAPERBOY_TEST_SEED ? Number(process.env.PAPERBOY_TEST_SEED) : randomInt(1_000_000);
  expect(Number.isSafeInteger(seed), "PAPERBOY_TEST_SEED must be an integer").toBe(true);
  console.log(`${what}: seed ${seed} (replay with PAPERBOY_TEST_SEED=${seed} npx vitest run ${testFile})`);
  return seed;
}

/** A small seeded generator of numbers in [0, 1). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A copy of `items` in an order drawn from `next` (Fisher–Yates). */
export function shuffle<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
