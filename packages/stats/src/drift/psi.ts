// Population stability index over reference-quantile bins.
import { checkEdges, histogram, quantileBins } from './bins.js';
import { type NumericInput, toFloat64 } from './validate.js';

export interface PsiOptions {
  /** Inner bin edges; default quantileBins(ref, { bins }). */
  edges?: readonly number[];
  /** Number of quantile bins when edges are not given; default 10. */
  bins?: number;
  /** Stand-in for a bin proportion of exactly 0, which would make ln(q/p) infinite; default 1e-4. */
  epsilon?: number;
}

export interface PsiResult {
  value: number;
  edges: number[];
  refCounts: number[];
  curCounts: number[];
}

/**
 * PSI = Σ (q_i - p_i) ln(q_i / p_i), p_i and q_i the reference and current proportions in bin i
 * (bins as histogram()). A proportion of exactly 0 is replaced by epsilon; the others are left
 * as they are, so the proportions are not renormalised. Both samples must be non-empty.
 */
export function psi(ref: NumericInput, cur: NumericInput, options: PsiOptions = {}): PsiResult {
  const epsilon = options.epsilon ?? 1e-4;
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new RangeError('psi: epsilon must be positive');
  const refValues = toFloat64(ref, 'psi: ref');
  const curValues = toFloat64(cur, 'psi: cur');
  let edges: number[];
  if (options.edges) {
    checkEdges(options.edges, 'psi');
    edges = [...options.edges];
  } else {
    edges = quantileBins(refValues, { bins: options.bins ?? 10 });
  }
  const refCounts = histogram(refValues, edges);
  const curCounts = histogram(curValues, edges);
  let value = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const p = refCounts[i]! / refValues.length || epsilon;
    const q = curCounts[i]! / curValues.length || epsilon;
    value += (q - p) * Math.log(q / p);
  }
  return { value, edges, refCounts, curCounts };
}
