// Special functions behind the p-values: log-gamma, the regularized incomplete gamma function
// (hence the chi-square survival function) and the binomial distribution with p = 1/2.
// Accuracy target: ~1e-14 relative wherever the result is a normal double, which is what the
// 1e-9 comparisons against scipy need with a wide margin.

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const EPS = Number.EPSILON;

/**
 * lnΓ(a) - [(a - 1/2) ln a - a + ln √(2π)], the remainder of Stirling's formula, by its
 * asymptotic series (a >= 10: the first omitted term is below 1e-17).
 */
function stirlingRemainder(a: number): number {
  const r = 1 / a;
  const r2 = r * r;
  return (
    r *
    (1 / 12 +
      r2 *
        (-1 / 360 +
          r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156)))))))
  );
}

/** ln Γ(a) for a > 0: Stirling's series, shifted up to a >= 10 by the recurrence when needed. */
export function logGamma(a: number): number {
  if (!(a > 0)) return Number.NaN;
  if (a === Infinity) return Infinity;
  let shift = 0;
  let prod = 1;
  let x = a;
  while (x < 10) {
    prod *= x;
    x += 1;
    // Keep the product finite for tiny a.
    if (prod < 1e-280) {
      shift += Math.log(prod);
      prod = 1;
    }
  }
  return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + stirlingRemainder(x) - Math.log(prod) - shift;
}

/** log(1 + t) - t without cancellation for small |t|. */
function log1pmx(t: number): number {
  if (Math.abs(t) > 0.1) return Math.log1p(t) - t;
  // -t^2/2 + t^3/3 - ...: at |t| <= 0.1 forty terms reach double precision.
  let term = t;
  let sum = 0;
  for (let k = 2; k < 60; k++) {
    term *= -t;
    const next = sum + term / k;
    if (next === sum) break;
    sum = next;
  }
  return sum;
}

/** x^a e^-x / Γ(a), the common factor of P(a, x) and Q(a, x), formed without cancellation. */
function gammaPrefactor(a: number, x: number): number {
  if (a < 10) return Math.exp(a * Math.log(x) - x - logGamma(a));
  // a ln x - x - lnΓ(a) = a·log1pmx((x - a)/a) + ½ ln a - ln √(2π) - stirlingRemainder(a)
  return Math.exp(a * log1pmx((x - a) / a) + 0.5 * Math.log(a) - LN_SQRT_2PI - stirlingRemainder(a));
}

/** Series for P(a, x), good for x < a + 1. */
function lowerGammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 100000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum * gammaPrefactor(a, x);
}

/** Continued fraction for Q(a, x) (modified Lentz), good for x >= a + 1. */
function upperGammaFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return h * gammaPrefactor(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a), as scipy.special.gammaincc. */
export function gammaQ(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0 || x < 0) return Number.NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  if (x < a + 1) return 1 - lowerGammaSeries(a, x);
  return upperGammaFraction(a, x);
}

/** Chi-square survival function with `dof` degrees of freedom (scipy.stats.chi2.sf). */
export function chi2Sf(x: number, dof: number): number {
  if (!(dof > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  return gammaQ(dof / 2, x / 2);
}

/** ln(n!) - ln(√(2πn) (n/e)^n), Loader's "stirlerr". */
function stirlerr(n: number): number {
  if (n <= 15) {
    let fact = 1;
    for (let i = 2; i <= n; i++) fact *= i;
    return Math.log(fact) - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI;
  }
  return stirlingRemainder(n);
}

/** x ln(x / np) + np - x, the binomial deviance, without cancellation near x = np (Loader). */
function bd0(x: number, np: number): number {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    let v = (x - np) / (x + np);
    let s = (x - np) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / np) + np - x;
}

/**
 * P(X <= k) for X ~ Binomial(n, 1/2) (scipy.stats.binom.cdf(k, n, 0.5)). The probability mass at
 * k comes from Loader's saddle-point formula (accurate to ~1e-15 for any n); lower masses follow
 * by the exact ratio pmf(j-1)/pmf(j) = j / (n - j + 1).
 */
export function binomCdfHalf(k: number, n: number): number {
  if (!Number.isInteger(n) || n < 0 || Number.isNaN(k)) return Number.NaN;
  if (k < 0) return 0;
  const kk = Math.floor(k);
  if (kk >= n) return 1;
  // Above the median use symmetry: the masses at k would underflow long before the tail does.
  if (2 * kk >= n) return 1 - binomCdfHalf(n - kk - 1, n);
  let pmf: number;
  if (kk === 0) {
    pmf = 0.5 ** n;
  } else {
    const half = n / 2;
    const lc = stirlerr(n) - stirlerr(kk) - stirlerr(n - kk) - bd0(kk, half) - bd0(n - kk, half);
    const lf = Math.log(2 * Math.PI) + Math.log(kk) + Math.log1p(-kk / n);
    pmf = Math.exp(lc - 0.5 * lf);
  }
  let sum = pmf;
  for (let j = kk; j > 0; j--) {
    pmf *= j / (n - j + 1);
    sum += pmf;
    if (pmf < sum * EPS * 1e-3) break;
  }
  return Math.min(sum, 1);
}
