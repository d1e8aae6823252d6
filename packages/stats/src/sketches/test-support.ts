// Test-only helpers for the sketch tests: seeded data, input orders and exact answers. Not exported
// from the package.

/** mulberry32: a small seeded PRNG, so every test input is reproducible. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Inputs on which quantile sketches are known to differ: orders, ties and tails. */
export const INPUTS: Record<string, (n: number, rand: () => number) => Float64Array> = {
  random: (n, rand) => Float64Array.from({ length: n }, rand),
  sorted: (n, rand) => Float64Array.from({ length: n }, rand).sort(),
  reversed: (n, rand) => Float64Array.from({ length: n }, rand).sort().reverse(),
  zigzag: (n, rand) => {
    const s = Float64Array.from({ length: n }, rand).sort();
    return Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? s[i / 2]! : s[n - 1 - (i - 1) / 2]!));
  },
  duplicates: (n, rand) => Float64Array.from({ length: n }, () => Math.floor(rand() * 7)),
  mostlyOneValue: (n, rand) => Float64Array.from({ length: n }, () => (rand() < 0.9 ? 42 : rand())),
  heavyTail: (n, rand) => Float64Array.from({ length: n }, () => Math.tan(Math.PI * (rand() - 0.5))),
  pareto: (n, rand) => Float64Array.from({ length: n }, () => (1 - rand()) ** (-1 / 0.7)),
  normal: (n, rand) => Float64Array.from({ length: n }, () => 1e6 + normal(rand)),
};

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Number of entries <= x (or < x) in an ascending array. */
export function countBelow(sorted: Float64Array, x: number, inclusive = true): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (inclusive ? sorted[mid]! <= x : sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Normalized rank error of answering `x` for quantile q: the distance from q to the interval of
 * true ranks that x occupies, [fraction < x, fraction <= x] (ties make it an interval).
 */
export function quantileRankError(sorted: Float64Array, q: number, x: number): number {
  const n = sorted.length;
  return Math.max(0, countBelow(sorted, x, false) / n - q, q - countBelow(sorted, x) / n);
}

interface RankSketch {
  quantile(q: number): number;
  rank(x: number): number;
}

/** Worst normalized rank error over 999 quantile queries and 1,000 rank queries at data points. */
export function worstRankError(sketch: RankSketch, sorted: Float64Array): number {
  let worst = 0;
  for (let i = 1; i < 1000; i++) {
    const q = i / 1000;
    worst = Math.max(worst, quantileRankError(sorted, q, sketch.quantile(q)));
  }
  const n = sorted.length;
  for (let i = 0; i < 1000; i++) {
    const x = sorted[Math.floor((i * n) / 1000)]!;
    worst = Math.max(worst, Math.abs(sketch.rank(x) - countBelow(sorted, x) / n));
  }
  return worst;
}
