// Survival function of the one-sided Kolmogorov-Smirnov statistic D+_n (scipy.special.smirnov),
// after van Mulbregt, "Computing the Cumulative Distribution Function and Quantiles of the
// One-sided Kolmogorov-Smirnov Statistic" (arXiv:1802.06966), as implemented in scipy's cephes
// kolmogorov.c: the Smirnov/Birnbaum-Tingey sum with each term kept as a double-double mantissa
// and a separate binary exponent, so terms that over- or underflow a double still count.
import {
  type DD,
  DD_ONE,
  DD_ZERO,
  add as ddAdd,
  div as ddDiv,
  floor as ddFloor,
  divD,
  isFiniteDD,
  isZero,
  mulD,
  sub,
  toNumber,
  twoProd,
  twoSum,
} from './double-double.js';
import { binomialStep, smirnovTerm, termExp, termLo } from './smirnov-terms.js';

const EPSILON = Number.EPSILON;
/** cephes MINLOG: log(2^-1075); exp() of anything below is 0. */
const MINLOG = -745.1332191019412;
/** Above this n scipy switches to the approximation p ~ exp(-(6nx+1)^2 / 18n). */
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
// scipy evaluates every term of the lower sum afresh, six powers each; for n ~ 10^5..10^6 that is
// most of a second. Here runs of up to RATIO_RUN terms follow from the previous term by the
// ratio A_v / A_(v-1) (one exp, two log1p), each run starting from a term computed as scipy does.
// The ratio is used only while its exponent stays below RATIO_MAX_ARG, which bounds its rounding
// error by ~1e-15, so a run drifts by at most ~1e-13 relative from scipy's terms; terms near
// underflow are always computed directly.
const RATIO_RUN = 64;
const RATIO_MAX_ARG = 2;
const RATIO_MIN_TERM = 1e-280;

function powDD(a: DD, m: number): DD {
  if (m <= 0) {
    if (m === 0) return DD_ONE;
    return ddDiv(DD_ONE, powDD(a, -m));
  }
  if (isZero(a)) return DD_ZERO;
  const ans = a[0] ** m;
  const r = a[1] / a[0];
  let adj = m * r;
  if (Math.abs(adj) > 1e-8) {
    // The low word contributes (1 + r)^m; a short Taylor series is enough for small m*r.
    if (Math.abs(adj) < 1e-4) adj += m * r * (((m - 1) / 2) * r);
    else adj = Math.expm1(m * Math.log1p(r));
  }
  return twoSum(ans, ans * adj);
}

/** ((a + b) / (c + d))^m with the sums held exactly. */
function pow4(a: number, b: number, c: number, d: number, m: number): DD {
  if (m <= 0) {
    if (m === 0) return DD_ONE;
    return pow4(c, d, a, b, -m);
  }
  const num = twoSum(a, b);
  const den = twoSum(c, d);
  if (isZero(num)) return isZero(den) ? [Number.NaN, 0] : DD_ZERO;
  if (isZero(den)) return [num[0] < 0 ? -Infinity : Infinity, 0];
  return powDD(ddDiv(num, den), m);
}

/** floor(n*x) and the exact remainder, rounding a remainder that is 1 in double up. */
function modNX(n: number, x: number): { nxFloor: number; alpha: number } {
  const nxD = twoProd(n, x);
  const fl = ddFloor(nxD);
  let alpha = sub(nxD, fl)[0];
  let nxFloor = fl[0];
  if (alpha === 1) {
    nxFloor += 1;
    alpha = 0;
  }
  return { nxFloor, alpha };
}

const clip01 = (p: number): number => (p < 0 ? 0 : Math.min(p, 1));

/** Pr(D+_n >= x), scipy.special.smirnov(n, x). */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;

  const { nxFloor, alpha } = modNX(n, x);
  let n1mxFloor = n - nxFloor - (alpha === 0 ? 0 : 1);
  let n1mxCeil = n - nxFloor;
  // When n*x is an integer the boundary term belongs to neither sum.
  if (alpha === 0) {
    n1mxFloor -= 1;
    n1mxCeil += 1;
  }
  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) {
    // x <= 1/n: closed form x (1 + x)^(n-1).
    return 1 - x * toNumber(powDD(twoSum(1, x), n - 1));
  }
  if (-2 * n * x * x < MINLOG) return 0;
  if (nxFloor >= n - 1) return toNumber(powDD(twoSum(1, -x), n));
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
  }

  // The upper (alternating) sum loses ~1.6 bits per term, so it is used only when it is short.
  const nUpperTerms = n - n1mxCeil + 1;
  const useUpperSum =
    (nUpperTerms <= 1 && x < 0.5) || (n >= 10 && nUpperTerms <= 3 && x <= 0.5 / Math.sqrt(n));

  let start = 0;
  let step = 1;
  let nTerms = n1mxFloor + 1;
  let aj: DD;
  if (useUpperSum) {
    start = n;
    step = -1;
    nTerms = n - n1mxCeil + 1;
    aj = pow4(1, x, 1, 0, n - 1);
  } else {
    aj = divD(pow4(1, -x, 1, 0, n), x);
  }
  let ajSum = ddAdd(DD_ZERO, aj);
  const vmid = Math.trunc(n / 2);
  const [nxHi, nxLo] = twoProd(n, x);
  let cHi = 1;
  let cLo = 0;
  let cExp = 0;
  const updateBinomial = (j: number): void => {
    cHi = binomialStep(cHi, cLo, n, j);
    cLo = termLo();
    cExp += termExp();
  };
  updateBinomial(0);
  let prev = 0;
  let sinceAnchor = RATIO_RUN;
  for (let j = 1; j < nTerms; j++) {
    const v = start + j * step;
    let ajHi = Number.NaN;
    let ajLo = 0;
    if (step > 0 && sinceAnchor < RATIO_RUN && prev > RATIO_MIN_TERM) {
      // A_v / A_(v-1), from consecutive powers of x + v/n and 1 - x - v/n.
      const u = v - 1;
      const a = u + nxHi + nxLo;
      const r = n - u - 1 - nxHi - nxLo;
      const arg = (u - 1) * Math.log1p(1 / a) + (n - u) * Math.log1p(-1 / (r + 1));
      if (r > 0 && Math.abs(arg) < RATIO_MAX_ARG) {
        ajHi = prev * ((((n - u) * (a + 1)) / ((u + 1) * r)) * Math.exp(arg));
        sinceAnchor += 1;
      }
    }
    if (Number.isNaN(ajHi)) {
      ajHi = smirnovTerm(n, x, v, cHi, cLo, cExp);
      ajLo = termLo();
      sinceAnchor = 0;
    }
    prev = ajHi;
    aj = [ajHi, ajLo];
    if (isFiniteDD(aj) && !isZero(aj)) ajSum = ddAdd(ajSum, aj);
    if (!isZero(aj)) {
      if (4 * (nTerms - j) * Math.abs(toNumber(aj)) < EPSILON * toNumber(ajSum) && j !== nTerms - 1) break;
    } else if (j > vmid) {
      break;
    }
    updateBinomial(j);
  }
  const prob = toNumber(mulD(ajSum, x));
  return clip01(step < 0 ? 1 - prob : prob);
}
