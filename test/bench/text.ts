// The text functions that read untrusted paper data, timed on inputs without a
// sentence end (the summariser's old quadratic case): 10k, 80k and 1M characters.
import { summarise } from "../../src/rendering/summarise.ts";
import { toTerms } from "../../src/matching/tokens.ts";
import { cleanText } from "../../src/sources/source.ts";

const SIZES = [10_000, 80_000, 1_000_000];

/** Milliseconds per call of each function at each size, as one bench row. */
export function measureText(): Record<string, string> {
  const row: Record<string, string> = {};
  for (const size of SIZES) {
    const text = "lorem ipsum dolor ".repeat(Math.ceil(size / 18)).slice(0, size);
    for (const [name, run] of [
      ["summarise", summarise],
      ["toTerms", toTerms],
      ["cleanText", cleanText],
    ] as const) {
      const started = performance.now();
      run(text);
      row[`${name} ${size / 1000}k`] = `${(performance.now() - started).toFixed(2)} ms`;
    }
  }
  return row;
}
