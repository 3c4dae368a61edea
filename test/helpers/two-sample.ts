// Two-sample tests for "can these two sets of measurements be told apart?":
// Mann–Whitney U (a shift of one against the other) and Kolmogorov–Smirnov (any
// difference in shape). Both are rank-based, so a few outliers weigh little.

/** Two-sided p-value of the Mann–Whitney U test (normal approximation, with tie and continuity corrections). */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): number {
  const pooled = [...a.map((value) => ({ value, first: true })), ...b.map((value) => ({ value, first: false }))].sort((x, y) => x.value - y.value);
  const n = pooled.length;
  let rankSum = 0;
  let ties = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && pooled[j + 1]!.value === pooled[i]!.value) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (pooled[k]!.first) rankSum += rank;
    const t = j - i + 1;
    ties += t ** 3 - t;
    i = j + 1;
  }
  const [n1, n2] = [a.length, b.length];
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  if (variance === 0) return 1;
  const z = Math.max(0, Math.abs(u - mean) - 0.5) / Math.sqrt(variance);
  return Math.min(1, 2 * upperNormalTail(z));
}

/** Two-sided p-value of the two-sample Kolmogorov–Smirnov test (asymptotic distribution, with Stephens' small-sample correction). */
export function kolmogorovSmirnov(a: readonly number[], b: readonly number[]): number {
  const [x, y] = [[...a].sort((p, q) => p - q), [...b].sort((p, q) => p - q)];
  let [i, j, d] = [0, 0, 0];
  while (i < x.length && j < y.length) {
    const value = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i] === value) i++;
    while (j < y.length && y[j] === value) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const effective = Math.sqrt((x.length * y.length) / (x.length + y.length));
  const lambda = (effective + 0.12 + 0.11 / effective) * d;
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) sum += 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lambda * lambda);
  return Math.min(1, Math.max(0, sum));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((p, q) => p - q);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** P(Z > z) for a standard normal Z: erfc by its continued-fraction-free Chebyshev fit (Numerical Recipes erfcc, relative error < 1.2e-7). */
function upperNormalTail(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return (t * Math.exp(poly)) / 2;
}
