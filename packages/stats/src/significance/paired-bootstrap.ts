// Paired bootstrap confidence interval for the difference of a metric between two systems
// scored on the same items: each replicate resamples items (with replacement) once and scores
// both systems on that same resample, so item difficulty cancels out of the difference.
import { quantileSorted } from '../drift/bins.js';
import { Xoshiro128 } from './prng.js';

export interface PairedBootstrapOptions {
  /** Number of resamples; default 1000. */
  iterations?: number;
  /** Seed in [0, 2^32); default a random one, returned in the result so the run can be repeated. */
  seed?: number;
  /** Coverage of the percentile interval; default 0.95. */
  confidence?: number;
}

export interface PairedBootstrapResult {
  /** metric(truth, predB) - metric(truth, predA) on the full data: positive when B scores higher. */
  delta: number;
  /** Percentile interval of the resampled deltas (numpy's linear interpolation). */
  low: number;
  high: number;
  /** Seed used. */
  seed: number;
}

/**
 * Bootstrap of delta = metric(B) - metric(A). `metric(truth, pred)` is called on resampled
 * arrays of the same length as the input; it must cope with any resample (e.g. one where a
 * class is missing), and an error it throws is passed on. A NaN from it throws RangeError.
 * Resample r draws its n indices from the seeded xoshiro128** stream, in order.
 */
export function pairedBootstrap<T, P>(
  metric: (truth: T[], pred: P[]) => number,
  truth: readonly T[],
  predA: readonly P[],
  predB: readonly P[],
  options: PairedBootstrapOptions = {},
): PairedBootstrapResult {
  if (typeof metric !== 'function') throw new TypeError('pairedBootstrap: metric must be a function');
  const n = truth.length;
  if (predA.length !== n || predB.length !== n) {
    throw new RangeError(
      `pairedBootstrap: truth, predA and predB differ in length (${n}, ${predA.length}, ${predB.length})`,
    );
  }
  if (n === 0) throw new RangeError('pairedBootstrap: no items');
  const iterations = options.iterations ?? 1000;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError('pairedBootstrap: iterations must be an integer >= 1');
  }
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1))
    throw new RangeError('pairedBootstrap: confidence must be in (0, 1)');
  const seed = options.seed ?? Math.floor(Math.random() * 4294967296);
  const rng = Xoshiro128.fromSeed(seed);

  const score = (t: T[], a: P[], b: P[]): number => {
    const d = metric(t, b) - metric(t, a);
    if (Number.isNaN(d)) throw new RangeError('pairedBootstrap: metric returned NaN');
    return d;
  };
  const delta = score([...truth], [...predA], [...predB]);
  const deltas = new Float64Array(iterations);
  for (let r = 0; r < iterations; r++) {
    const t = new Array<T>(n);
    const a = new Array<P>(n);
    const b = new Array<P>(n);
    for (let i = 0; i < n; i++) {
      const k = rng.nextInt(n);
      t[i] = truth[k]!;
      a[i] = predA[k]!;
      b[i] = predB[k]!;
    }
    deltas[r] = score(t, a, b);
  }
  deltas.sort();
  const alpha = (1 - confidence) / 2;
  return {
    delta,
    low: quantileSorted(deltas, alpha),
    high: quantileSorted(deltas, 1 - alpha),
    seed,
  };
}
