// Population stability index over reference-quantile bins.
import { checkEdges, histogram, quantileBins } from './bins.js';
import type { NumericInput } from './validate.js';

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
  if (cur.length === 0) throw new RangeError('psi: cur must have at least 1 value');
  if (ref.length === 0) throw new RangeError('psi: ref must have at least 1 value');
  let edges: number[];
  if (options.edges) {
    checkEdges(options.edges, 'psi');
    edges = [...options.edges];
  } else {
    edges = quantileBins(ref, { bins: options.bins ?? 10 });
  }
  const refCounts = histogram(ref, edges);
  const curCounts = histogram(cur, edges);
  let value = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const p = refCounts[i]! / ref.length || epsilon;
    const q = curCounts[i]! / cur.length || epsilon;
    value += (q - p) * Math.log(q / p);
  }
  return { value, edges, refCounts, curCounts };
}
