// Count, mean and sum of squared deviations (M2) of finite numbers. Updates use Welford's recurrence
// and merges Chan, Golub & LeVeque's pairwise formula ("Updating formulae and a pairwise algorithm
// for computing sample variances", 1979): unlike sums of squares, neither cancels catastrophically
// when the mean is large relative to the spread, so merged windows agree with one pass to ~1e-12.

export class Moments {
  count = 0;
  mean = 0;
  m2 = 0;

  update(x: number): void {
    const n = ++this.count;
    const d = x - this.mean;
    this.mean += d / n;
    this.m2 += d * (x - this.mean);
  }

  merge(other: Moments): void {
    if (other.count === 0) return;
    if (this.count === 0) {
      this.count = other.count;
      this.mean = other.mean;
      this.m2 = other.m2;
      return;
    }
    const na = this.count;
    const nb = other.count;
    const n = na + nb;
    const d = other.mean - this.mean;
    // Stepping from the larger side (the smaller mean on a tie), with symmetric products, makes
    // a.merge(b) and b.merge(a) bit-identical.
    const fromThis = na > nb || (na === nb && this.mean <= other.mean);
    this.mean = fromThis ? this.mean + (d * nb) / n : other.mean - (d * na) / n;
    this.m2 = this.m2 + other.m2 + d * d * ((na * nb) / n);
    this.count = n;
  }

  /** Population variance (divides by n); NaN when empty. */
  get populationVariance(): number {
    return this.count === 0 ? Number.NaN : this.m2 / this.count;
  }

  /** Sample variance (divides by n - 1); NaN below two values. */
  get sampleVariance(): number {
    return this.count < 2 ? Number.NaN : this.m2 / (this.count - 1);
  }
}
