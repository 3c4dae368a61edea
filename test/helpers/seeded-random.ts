// Randomness that can be replayed: the seed comes from PAPERBOY_TEST_SEED or is
// drawn, and the caller prints it first.

import { randomInt } from "node:crypto";

/** PAPERBOY_TEST_SEED when set (it must be an integer), else a fresh seed. */
export function loadSeed(env: NodeJS.ProcessEnv = process.env): number {
  const seed = env.PAPERBOY_TEST_SEED ? Number(env.PAPERBOY_TEST_SEED) : randomInt(1_000_000);
  if (!Number.isSafeInteger(seed)) throw new Error(`PAPERBOY_TEST_SEED must be an integer, got ${env.PAPERBOY_TEST_SEED}`);
  return seed;
}

/** A small seeded generator (LCG) of numbers in [0, 1). */
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
