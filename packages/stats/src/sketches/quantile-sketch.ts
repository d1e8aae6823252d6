import { ByteReader, ByteWriter, SketchTag } from './bytes.js';
import { mix32 } from './hash.js';
import { buildSortedView, lowerBound, type SortedView, upperBound } from './sorted-view.js';

// KLL sketch (Karnin, Lang & Liberty, "Optimal Quantile Approximation in Streams", FOCS 2016) with
// lazy compaction as in Liberty's reference implementation and Apache DataSketches. KLL bounds RANK
// error whatever the input order and stays mergeable: the error of a merged sketch is that of one
// sketch fed the union.

/** Default accuracy parameter: the largest normalized rank error observed is ~0.45% (see tests). */
export const DEFAULT_QUANTILE_K = 400;
const MIN_K = 8;
const MAX_K = 65535;
// Lower compactors never shrink below this width: tiny compactors add error and save little space.
const MIN_WIDTH = 8;
const DECAY = 2 / 3;
const MAX_LEVELS = 60;

export interface QuantileSketchOptions {
  /** Accuracy parameter; the sketch keeps about 3k values. Between 8 and 65535. */
  k?: number;
  /** Seed of the compaction coin flips, so that equal inputs give equal sketches. */
  seed?: number;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Mergeable quantile sketch over numbers.
 *
 * Accuracy: with the default k = 400 the normalized rank error, |estimated rank - true rank| / n, is
 * below 1% for every query on any input order, also after merging many sketches (the tests observe
 * at most ~0.45%). The sketch keeps about 1,200 values (~9.6 KB serialized) however long the stream.
 * Counts, min and max are exact.
 *
 * Values: ±Infinity are ordinary values that sort below/above every finite number, so `quantile`
 * may return them and `min`/`max` report them. NaN has no rank and is rejected with a RangeError
 * (ColumnProfile counts NaN separately). -0 is stored as 0.
 *
 * Empty sketch: `quantile`, `rank`, `min` and `max` return NaN, `cdf` an array of NaN.
 *
 * Coin flips come from a hash of the seed, the level, the count and the compacted values. A fixed
 * seed makes results reproducible; mixing in the values keeps the flips of sketches built on
 * different data independent, which the KLL error bound needs when many sketches are merged.
 * Merging is commutative exactly (a.merge(b) and b.merge(a) serialize to the same bytes) and
 * associative within the error bound.
 */
export class QuantileSketch {
  #k: number;
  #seed: number;
  #levels: Float64Array[] = [];
  #sizes: number[] = [];
  #caps: number[] = [];
  #maxRetained = 0;
  #retained = 0;
  #n = 0;
  #min = Number.NaN;
  #max = Number.NaN;
  #view: SortedView | null = null;

  constructor(options: QuantileSketchOptions = {}) {
    const k = options.k ?? DEFAULT_QUANTILE_K;
    if (!Number.isInteger(k) || k < MIN_K || k > MAX_K) {
      throw new RangeError(`QuantileSketch: k must be an integer in [${MIN_K}, ${MAX_K}], got ${k}`);
    }
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`QuantileSketch: seed must be an unsigned 32-bit integer, got ${seed}`);
    }
    this.#k = k;
    this.#seed = seed;
    this.#addLevel();
  }

  get k(): number {
    return this.#k;
  }
  get seed(): number {
    return this.#seed;
  }
  /** Number of values seen (exact). */
  get count(): number {
    return this.#n;
  }
  /** Smallest value seen (exact), NaN when empty. */
  get min(): number {
    return this.#min;
  }
  /** Largest value seen (exact), NaN when empty. */
  get max(): number {
    return this.#max;
  }
  /** Number of values the sketch holds in memory. */
  get retained(): number {
    return this.#retained;
  }
  get isEmpty(): boolean {
    return this.#n === 0;
  }

  update(value: number): this {
    if (typeof value !== 'number')
      throw new TypeError(`QuantileSketch: expected a number, got ${typeof value}`);
    if (Number.isNaN(value)) throw new RangeError('QuantileSketch: NaN has no rank; count it separately');
    const v = value === 0 ? 0 : value;
    let buf = this.#levels[0]!;
    const size = this.#sizes[0]!;
    if (size === buf.length) buf = this.#reserve(0, 1);
    buf[size] = v;
    this.#sizes[0] = size + 1;
    this.#retained++;
    if (this.#n++ === 0) {
      this.#min = v;
      this.#max = v;
    } else if (v < this.#min) {
      this.#min = v;
    } else if (v > this.#max) {
      this.#max = v;
    }
    this.#view = null;
    if (this.#retained >= this.#maxRetained) this.#compress();
    return this;
  }

  /** Adds `other` into this sketch (in place) and returns this. `other` is left unchanged. */
  merge(other: QuantileSketch): this {
    if (!(other instanceof QuantileSketch))
      throw new TypeError('QuantileSketch: can only merge a QuantileSketch');
    const src = other === this ? QuantileSketch.deserialize(other.serialize()) : other;
    // A smaller k or seed wins so that merge stays commutative when configurations differ.
    this.#seed = Math.min(this.#seed, src.#seed);
    if (src.#k < this.#k) {
      this.#k = src.#k;
      this.#recomputeCapacities();
    }
    if (src.#n > 0) {
      while (this.#levels.length < src.#levels.length) this.#addLevel();
      for (let h = 0; h < src.#levels.length; h++) {
        const add = src.#sizes[h]!;
        if (add === 0) continue;
        const buf = this.#reserve(h, add);
        buf.set(src.#levels[h]!.subarray(0, add), this.#sizes[h]!);
        this.#sizes[h]! += add;
      }
      this.#retained += src.#retained;
      this.#min = this.#n === 0 ? src.#min : Math.min(this.#min, src.#min);
      this.#max = this.#n === 0 ? src.#max : Math.max(this.#max, src.#max);
      this.#n += src.#n;
    }
    this.#view = null;
    while (this.#retained >= this.#maxRetained) this.#compress();
    return this;
  }

  /**
   * Estimated fraction of values <= x (or < x when `inclusive` is false), within the rank error
   * bound. Exact below `min` (0) and above `max` (1).
   */
  rank(x: number, inclusive = true): number {
    if (Number.isNaN(x)) throw new RangeError('QuantileSketch.rank: x is NaN');
    if (this.#n === 0) return Number.NaN;
    const { values, cum } = this.#sortedView();
    const i = inclusive ? upperBound(values, x) : lowerBound(values, x);
    return i === 0 ? 0 : cum[i - 1]! / this.#n;
  }

  /**
   * A value from the stream whose rank is within the error bound of q: the smallest retained value
   * whose estimated cumulative fraction reaches q (the "inverted CDF" definition, no interpolation).
   * quantile(0) is `min` and quantile(1) is `max`, both exact.
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`QuantileSketch.quantile: q must be in [0, 1], got ${q}`);
    if (this.#n === 0) return Number.NaN;
    if (q === 0) return this.#min;
    if (q === 1) return this.#max;
    const { values, cum } = this.#sortedView();
    // Cumulative weights are integers; the slack absorbs the rounding of q * n.
    const target = q * this.#n - this.#n * 1e-12;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! >= target) hi = mid;
      else lo = mid + 1;
    }
    return values[lo]!;
  }

  quantiles(qs: readonly number[]): number[] {
    return qs.map((q) => this.quantile(q));
  }

  /**
   * Estimated CDF at strictly increasing split points: `[rank(s0), ..., rank(sm-1), 1]`, the last
   * entry covering everything above the final split point.
   */
  cdf(splitPoints: readonly number[], inclusive = true): number[] {
    for (let i = 0; i < splitPoints.length; i++) {
      const s = splitPoints[i]!;
      if (Number.isNaN(s) || (i > 0 && !(s > splitPoints[i - 1]!))) {
        throw new RangeError('QuantileSketch.cdf: split points must be strictly increasing and not NaN');
      }
    }
    if (this.#n === 0) return new Array<number>(splitPoints.length + 1).fill(Number.NaN);
    return [...splitPoints.map((s) => this.rank(s, inclusive)), 1];
  }

  /** The retained values in ascending order with their cumulative weights (used by drift). */
  sortedView(): Readonly<SortedView> {
    return this.#sortedView();
  }

  /**
   * Layout (little-endian): version u8, tag u8, k varint, seed u32, n varint; when n > 0: min f64,
   * max f64, level count u8, the size of each level as varints, then each level's values as f64 in
   * ascending order. Sorting makes the bytes canonical: equal sketches give equal bytes.
   */
  serialize(): Uint8Array {
    const w = new ByteWriter(32 + this.#retained * 8);
    w.header(SketchTag.quantile).varint(this.#k).u32(this.#seed).varint(this.#n);
    if (this.#n === 0) return w.finish();
    w.f64(this.#min).f64(this.#max).u8(this.#levels.length);
    for (const size of this.#sizes) w.varint(size);
    for (let h = 0; h < this.#levels.length; h++) {
      const level = this.#levels[h]!.subarray(0, this.#sizes[h]!);
      level.sort();
      for (const v of level) w.f64(v);
    }
    return w.finish();
  }

  static deserialize(bytes: Uint8Array): QuantileSketch {
    const r = new ByteReader(bytes, 'QuantileSketch');
    r.header(SketchTag.quantile);
    const k = r.varint();
    if (k < MIN_K || k > MAX_K) r.fail(`k ${k} out of range`);
    const sketch = new QuantileSketch({ k, seed: r.u32() });
    const n = r.varint();
    if (n === 0) {
      r.end();
      return sketch;
    }
    const min = r.f64();
    const max = r.f64();
    if (!(min <= max)) r.fail('min/max are NaN or out of order');
    const levelCount = r.u8();
    if (levelCount < 1 || levelCount > MAX_LEVELS) r.fail(`level count ${levelCount} out of range`);
    while (sketch.#levels.length < levelCount) sketch.#addLevel();
    let weight = 0;
    let retained = 0;
    for (let h = 0; h < levelCount; h++) {
      const size = r.varint();
      if (size * 8 > r.remaining) r.fail(`level ${h} claims ${size} values past the end`);
      sketch.#sizes[h] = size;
      retained += size;
      weight += size * 2 ** h;
    }
    if (weight !== n) r.fail(`level weights sum to ${weight}, count says ${n}`);
    if (retained >= sketch.#maxRetained) r.fail(`${retained} retained values exceed the capacity for k=${k}`);
    for (let h = 0; h < levelCount; h++) {
      const size = sketch.#sizes[h]!;
      const buf = new Float64Array(Math.max(size, sketch.#caps[h]!));
      let prev = min;
      for (let i = 0; i < size; i++) {
        const v = r.f64();
        if (!(v >= prev && v <= max) || Object.is(v, -0))
          r.fail(`level ${h} is not sorted within [min, max]`);
        buf[i] = v;
        prev = v;
      }
      sketch.#levels[h] = buf;
    }
    r.end();
    sketch.#n = n;
    sketch.#min = min;
    sketch.#max = max;
    sketch.#retained = retained;
    return sketch;
  }

  #addLevel(): void {
    this.#levels.push(new Float64Array(MIN_WIDTH));
    this.#sizes.push(0);
    this.#recomputeCapacities();
  }

  // Capacity shrinks geometrically (factor 2/3) from the top level down, so the sketch holds about
  // k / (1 - 2/3) = 3k values however many levels it has.
  #recomputeCapacities(): void {
    const levels = this.#levels.length;
    let total = 0;
    for (let h = 0; h < levels; h++) {
      const cap = Math.max(MIN_WIDTH, Math.ceil(this.#k * DECAY ** (levels - h - 1)));
      this.#caps[h] = cap;
      total += cap;
    }
    this.#caps.length = levels;
    this.#maxRetained = total;
  }

  #reserve(h: number, extra: number): Float64Array {
    const buf = this.#levels[h]!;
    const need = this.#sizes[h]! + extra;
    if (need <= buf.length) return buf;
    const next = new Float64Array(Math.max(need, buf.length * 2));
    next.set(buf.subarray(0, this.#sizes[h]!));
    this.#levels[h] = next;
    return next;
  }

  // Lazy compaction: compact the lowest full level, and stop as soon as the sketch is back under its
  // total capacity, so levels keep as many values as the budget allows.
  #compress(): void {
    for (let h = 0; h < this.#levels.length; h++) {
      if (this.#sizes[h]! < this.#caps[h]!) continue;
      if (h + 1 === this.#levels.length) this.#addLevel();
      this.#compactLevel(h);
      if (this.#retained < this.#maxRetained) return;
    }
  }

  // Sorts the level and promotes every other value (odd or even positions, by a coin flip) to the
  // next level with twice the weight. With an odd count the smallest value stays behind, so weights
  // still sum to n exactly.
  #compactLevel(h: number): void {
    const len = this.#sizes[h]!;
    const level = this.#levels[h]!.subarray(0, len);
    level.sort();
    const odd = len & 1;
    const promoted = (len - odd) / 2;
    const dst = this.#reserve(h + 1, promoted);
    let d = this.#sizes[h + 1]!;
    for (let i = odd + this.#coin(h, level); i < len; i += 2) dst[d++] = level[i]!;
    this.#sizes[h + 1] = d;
    this.#sizes[h] = odd;
    this.#retained -= promoted;
    this.#view = null;
  }

  #coin(h: number, sorted: Float64Array): number {
    let x = mix32(this.#seed ^ Math.imul(h + 1, 0x9e3779b9));
    x = mix32(x ^ (this.#n >>> 0) ^ Math.floor(this.#n / 4294967296));
    const words = new Uint32Array(sorted.buffer, sorted.byteOffset, sorted.length * 2);
    const lo = LITTLE_ENDIAN ? 0 : 1;
    for (let i = 0; i < words.length; i += 2) {
      x = Math.imul(x ^ words[i + lo]!, 0x01000193);
      x = Math.imul(x ^ words[i + 1 - lo]!, 0x01000193);
    }
    return mix32(x) >>> 31;
  }

  #sortedView(): SortedView {
    this.#view ??= buildSortedView(this.#levels, this.#sizes);
    return this.#view;
  }
}
