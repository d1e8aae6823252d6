import { kolmogorovSf, ks2samp } from '@plumb/stats';

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Modular inverse of a modulo m (gcd 1), by the extended Euclidean algorithm. */
function inverse(a: number, m: number): number {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1, 0];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

/**
 * The two-sided two-sample KS p-value of a statistic d for sample sizes n1 and n2, exactly as
 * ks2samp (and so scipy's ks_2samp, method 'auto') gives it for samples with that statistic.
 * The statistic is rounded onto ks2samp's lattice 1/lcm(n1, n2); two samples of 0s and 1s with
 * exactly that statistic are built (i·n2/g − j·n1/g = h has a solution by Bézout) and handed to
 * ks2samp, so the exact and asymptotic distributions are the library's own. When no such pair of
 * counts exists (statistics near 1, p-values far below any threshold) the asymptotic value is used.
 */
export function ksPValue(d: number, n1: number, n2: number): number {
  if (!(d > 0)) return 1;
  const g = gcd(n1, n2);
  const a = n1 / g;
  const b = n2 / g;
  const lcm = a * n2;
  if (Math.max(n1, n2) > 10_000 || !Number.isSafeInteger(lcm)) return asymptotic(d, n1, n2);
  const h = Math.round(Math.min(d, 1) * lcm);
  if (h === 0) return 1;
  // i·b − j·a = h with 0 <= i <= n1, 0 <= j <= n2: i ≡ h·b⁻¹ (mod a).
  const i0 = a === 1 ? 0 : Number((BigInt(h % a) * BigInt(inverse(b % a, a))) % BigInt(a));
  for (let i = i0; i <= n1; i += a) {
    const num = i * b - h;
    if (num < 0) continue;
    const j = num / a;
    if (!Number.isInteger(j) || j > n2) continue;
    const ref = new Float64Array(n1);
    ref.fill(1, i);
    const cur = new Float64Array(n2);
    cur.fill(1, j);
    return ks2samp(ref, cur).pValue;
  }
  return asymptotic(d, n1, n2);
}

function asymptotic(d: number, n1: number, n2: number): number {
  const en = Math.round((n1 * n2) / (n1 + n2));
  return Math.min(Math.max(kolmogorovSf(Math.max(en, 1), Math.min(d, 1)), 0), 1);
}
