import { ByteReader, ByteWriter, SketchTag } from './bytes.js';
import { DEFAULT_FREQUENT_ITEMS_CAPACITY, FrequentItems, type SketchItem } from './frequent-items.js';
import { DEFAULT_HLL_PRECISION, HyperLogLog } from './hyperloglog.js';
import { Moments } from './moments.js';
import { DEFAULT_QUANTILE_K, QuantileSketch } from './quantile-sketch.js';

export type ColumnValue = number | string | boolean | null | undefined;

/** `empty` until a non-null value arrives; `mixed` once both numbers and strings/booleans have. */
export type ColumnKind = 'empty' | 'numeric' | 'categorical' | 'mixed';

export interface ColumnProfileOptions {
  /** QuantileSketch k for the numeric values. */
  quantileK?: number;
  /** Seed of the quantile sketch's coin flips. */
  seed?: number;
  /** HyperLogLog precision of the distinct count. */
  hllPrecision?: number;
  /** FrequentItems capacity for the string/boolean values. */
  itemsCapacity?: number;
  /**
   * Strings longer than this many UTF-16 units are counted in FrequentItems under their first
   * `maxItemLength` units followed by "…", which bounds the serialized size of free-text columns.
   * The distinct count still hashes the whole string.
   */
  maxItemLength?: number;
}

/** ±Infinity survive JSON as strings; JSON.stringify would turn them into null silently. */
export type SummaryNumber = number | 'Infinity' | '-Infinity';

export const SUMMARY_QUANTILES = {
  p01: 0.01,
  p05: 0.05,
  p10: 0.1,
  p25: 0.25,
  p50: 0.5,
  p75: 0.75,
  p90: 0.9,
  p95: 0.95,
  p99: 0.99,
} as const;

export interface ColumnProfileSummary {
  kind: ColumnKind;
  count: number;
  /** null, undefined and NaN. */
  nulls: number;
  nullFraction: number | null;
  /** NaN values (also counted in nulls). */
  nan: number;
  /** ±Infinity values (in quantiles, min and max; not in mean and std). */
  infinite: number;
  numericCount: number;
  categoricalCount: number;
  /** HyperLogLog estimate over non-null values, capped by their count. */
  distinct: number;
  /** Over finite numbers; null when there are none. */
  mean: number | null;
  /** Sample standard deviation (n - 1) over finite numbers; null below two. */
  std: number | null;
  min: SummaryNumber | null;
  max: SummaryNumber | null;
  quantiles: Record<keyof typeof SUMMARY_QUANTILES, SummaryNumber> | null;
  /** The ten most frequent strings/booleans. */
  topItems: { value: SketchItem; estimate: number; lowerBound: number; upperBound: number }[];
}

const DEFAULT_MAX_ITEM_LENGTH = 256;
const TOP_ITEMS_IN_SUMMARY = 10;

/**
 * Profile of one column, mergeable across windows and workers.
 *
 * `update` takes numbers, strings, booleans, null and undefined:
 * - null, undefined and NaN are missing values (`nulls`; NaN also in `nan`) and enter no sketch.
 * - numbers enter the QuantileSketch (with ±Infinity, which sort at the ends), the min/max, and the
 *   distinct count; finite numbers also enter the moments (mean, variance by Chan's merge).
 * - strings and booleans enter FrequentItems and the distinct count.
 * A mixed column keeps both halves side by side: numeric statistics describe its numbers only, top
 * items its strings/booleans only, and `numericCount`/`categoricalCount` give the split; the distinct
 * count covers both (the number 1 and the string "1" are different values).
 *
 * Merge is exact for counts, min and max, moments agree with one pass to ~1e-12 relative, sketches
 * follow their own bounds; with equal options a.merge(b) and b.merge(a) serialize identically.
 */
export class ColumnProfile {
  #quantileK: number;
  #seed: number;
  #hllPrecision: number;
  #itemsCapacity: number;
  #maxItemLength: number;
  #count = 0;
  #nulls = 0;
  #nan = 0;
  #infinite = 0;
  #numeric = 0;
  #categorical = 0;
  #moments = new Moments();
  #quantiles: QuantileSketch | null = null;
  #items: FrequentItems | null = null;
  #distinct: HyperLogLog | null = null;

  constructor(options: ColumnProfileOptions = {}) {
    this.#quantileK = options.quantileK ?? DEFAULT_QUANTILE_K;
    this.#seed = options.seed ?? 0;
    this.#hllPrecision = options.hllPrecision ?? DEFAULT_HLL_PRECISION;
    this.#itemsCapacity = options.itemsCapacity ?? DEFAULT_FREQUENT_ITEMS_CAPACITY;
    this.#maxItemLength = options.maxItemLength ?? DEFAULT_MAX_ITEM_LENGTH;
    if (!Number.isInteger(this.#maxItemLength) || this.#maxItemLength < 1 || this.#maxItemLength > 65535) {
      throw new RangeError(`ColumnProfile: maxItemLength must be an integer in [1, 65535]`);
    }
    // Build each sketch once so that bad options fail here, not at the first value.
    new QuantileSketch({ k: this.#quantileK, seed: this.#seed });
    HyperLogLog.checkPrecision(this.#hllPrecision);
    new FrequentItems({ capacity: this.#itemsCapacity });
  }

  get options(): Required<ColumnProfileOptions> {
    return {
      quantileK: this.#quantileK,
      seed: this.#seed,
      hllPrecision: this.#hllPrecision,
      itemsCapacity: this.#itemsCapacity,
      maxItemLength: this.#maxItemLength,
    };
  }

  get kind(): ColumnKind {
    if (this.#numeric > 0) return this.#categorical > 0 ? 'mixed' : 'numeric';
    return this.#categorical > 0 ? 'categorical' : 'empty';
  }
  /** Every value passed to update, nulls included. */
  get count(): number {
    return this.#count;
  }
  get nulls(): number {
    return this.#nulls;
  }
  get nanCount(): number {
    return this.#nan;
  }
  get infiniteCount(): number {
    return this.#infinite;
  }
  /** Non-NaN numbers. */
  get numericCount(): number {
    return this.#numeric;
  }
  /** Strings and booleans. */
  get categoricalCount(): number {
    return this.#categorical;
  }
  /** Finite numbers (the moments' count). */
  get finiteCount(): number {
    return this.#moments.count;
  }
  /** Mean of finite numbers; NaN when none. */
  get mean(): number {
    return this.#moments.count === 0 ? Number.NaN : this.#moments.mean;
  }
  get populationVariance(): number {
    return this.#moments.populationVariance;
  }
  get sampleVariance(): number {
    return this.#moments.sampleVariance;
  }
  /** Smallest number (±Infinity included); NaN when there are no numbers. */
  get min(): number {
    return this.#quantiles?.min ?? Number.NaN;
  }
  get max(): number {
    return this.#quantiles?.max ?? Number.NaN;
  }
  /** The numeric values' sketch; null until a number arrives. Do not update it directly. */
  get quantileSketch(): QuantileSketch | null {
    return this.#quantiles;
  }
  /** The string/boolean values' sketch; null until one arrives. Do not update it directly. */
  get frequentItems(): FrequentItems | null {
    return this.#items;
  }
  /** Distinct count over all non-null values; null until one arrives. */
  get distinct(): HyperLogLog | null {
    return this.#distinct;
  }

  update(value: ColumnValue): this {
    if (value === null || value === undefined) {
      this.#nulls++;
    } else if (typeof value === 'number') {
      if (Number.isNaN(value)) {
        this.#nulls++;
        this.#nan++;
      } else {
        this.#quantiles ??= new QuantileSketch({ k: this.#quantileK, seed: this.#seed });
        this.#quantiles.update(value);
        this.#distinctSketch().update(value);
        if (Number.isFinite(value)) this.#moments.update(value);
        else this.#infinite++;
        this.#numeric++;
      }
    } else if (typeof value === 'string' || typeof value === 'boolean') {
      this.#items ??= new FrequentItems({ capacity: this.#itemsCapacity });
      this.#items.update(typeof value === 'string' ? this.#truncate(value) : value);
      this.#distinctSketch().update(value);
      this.#categorical++;
    } else {
      throw new TypeError(`ColumnProfile: cannot profile a ${typeof value}`);
    }
    this.#count++;
    return this;
  }

  /** Adds `other` into this profile (in place) and returns this. Differing options take the minimum. */
  merge(other: ColumnProfile): this {
    if (!(other instanceof ColumnProfile))
      throw new TypeError('ColumnProfile: can only merge a ColumnProfile');
    const src = other === this ? ColumnProfile.deserialize(other.serialize()) : other;
    this.#quantileK = Math.min(this.#quantileK, src.#quantileK);
    this.#seed = Math.min(this.#seed, src.#seed);
    this.#hllPrecision = Math.min(this.#hllPrecision, src.#hllPrecision);
    this.#itemsCapacity = Math.min(this.#itemsCapacity, src.#itemsCapacity);
    this.#maxItemLength = Math.min(this.#maxItemLength, src.#maxItemLength);
    this.#count += src.#count;
    this.#nulls += src.#nulls;
    this.#nan += src.#nan;
    this.#infinite += src.#infinite;
    this.#numeric += src.#numeric;
    this.#categorical += src.#categorical;
    this.#moments.merge(src.#moments);
    if (src.#quantiles) {
      this.#quantiles ??= new QuantileSketch({ k: this.#quantileK, seed: this.#seed });
      this.#quantiles.merge(src.#quantiles);
    }
    if (src.#items) {
      this.#items ??= new FrequentItems({ capacity: this.#itemsCapacity });
      this.#items.merge(src.#items);
    }
    if (src.#distinct) this.#distinctSketch().merge(src.#distinct);
    return this;
  }

  /** A display summary; see ColumnProfileSummary for what each field covers. */
  toJSON(): ColumnProfileSummary {
    const nonNull = this.#numeric + this.#categorical;
    const q = this.#quantiles;
    const m = this.#moments;
    let quantiles: ColumnProfileSummary['quantiles'] = null;
    if (q) {
      const entries = Object.entries(SUMMARY_QUANTILES).map(([key, level]) => [key, json(q.quantile(level))]);
      quantiles = Object.fromEntries(entries) as ColumnProfileSummary['quantiles'];
    }
    return {
      kind: this.kind,
      count: this.#count,
      nulls: this.#nulls,
      nullFraction: this.#count === 0 ? null : this.#nulls / this.#count,
      nan: this.#nan,
      infinite: this.#infinite,
      numericCount: this.#numeric,
      categoricalCount: this.#categorical,
      distinct: this.#distinct ? Math.min(nonNull, Math.round(this.#distinct.estimate())) : 0,
      mean: m.count === 0 ? null : m.mean,
      std: m.count < 2 ? null : Math.sqrt(m.sampleVariance),
      min: q ? json(q.min) : null,
      max: q ? json(q.max) : null,
      quantiles,
      topItems: (this.#items?.top(TOP_ITEMS_IN_SUMMARY) ?? []).map(({ item, ...bounds }) => ({
        value: item,
        ...bounds,
      })),
    };
  }

  /**
   * Layout: version u8, tag u8; options (quantileK varint, seed u32, hllPrecision u8, itemsCapacity
   * varint, maxItemLength varint); counts (count, nulls, nan, infinite, numeric, categorical, finite
   * as varints); mean and M2 as f64 when finite > 0; then, length-prefixed, the QuantileSketch when
   * numeric > 0, the FrequentItems when categorical > 0, and the HyperLogLog when either is.
   */
  serialize(): Uint8Array {
    const w = new ByteWriter(1024).header(SketchTag.columnProfile);
    w.varint(this.#quantileK).u32(this.#seed).u8(this.#hllPrecision);
    w.varint(this.#itemsCapacity).varint(this.#maxItemLength);
    w.varint(this.#count).varint(this.#nulls).varint(this.#nan).varint(this.#infinite);
    w.varint(this.#numeric).varint(this.#categorical).varint(this.#moments.count);
    if (this.#moments.count > 0) w.f64(this.#moments.mean).f64(this.#moments.m2);
    for (const sketch of [this.#quantiles, this.#items, this.#distinct]) {
      if (!sketch) continue;
      const bytes = sketch.serialize();
      w.varint(bytes.length).bytes(bytes);
    }
    return w.finish();
  }

  static deserialize(bytes: Uint8Array): ColumnProfile {
    const r = new ByteReader(bytes, 'ColumnProfile');
    r.header(SketchTag.columnProfile);
    let profile: ColumnProfile;
    try {
      profile = new ColumnProfile({
        quantileK: r.varint(),
        seed: r.u32(),
        hllPrecision: r.u8(),
        itemsCapacity: r.varint(),
        maxItemLength: r.varint(),
      });
    } catch (error) {
      if (error instanceof RangeError) r.fail(`bad options: ${error.message}`);
      throw error;
    }
    profile.#count = r.varint();
    profile.#nulls = r.varint();
    profile.#nan = r.varint();
    profile.#infinite = r.varint();
    profile.#numeric = r.varint();
    profile.#categorical = r.varint();
    const m = profile.#moments;
    m.count = r.varint();
    if (m.count > 0) {
      m.mean = r.f64();
      m.m2 = r.f64();
      if (!Number.isFinite(m.mean) || !(m.m2 >= 0)) r.fail('moments are not finite');
    }
    if (profile.#count !== profile.#nulls + profile.#numeric + profile.#categorical)
      r.fail('counts disagree');
    if (profile.#nan > profile.#nulls) r.fail('more NaN than nulls');
    if (m.count + profile.#infinite !== profile.#numeric) r.fail('finite and infinite counts disagree');
    const nested = () => r.bytes(r.varint());
    if (profile.#numeric > 0) {
      profile.#quantiles = QuantileSketch.deserialize(nested());
      if (profile.#quantiles.count !== profile.#numeric) r.fail('quantile sketch count disagrees');
    }
    if (profile.#categorical > 0) {
      profile.#items = FrequentItems.deserialize(nested());
      if (profile.#items.count !== profile.#categorical) r.fail('frequent items count disagrees');
    }
    if (profile.#numeric + profile.#categorical > 0) profile.#distinct = HyperLogLog.deserialize(nested());
    r.end();
    return profile;
  }

  #distinctSketch(): HyperLogLog {
    this.#distinct ??= new HyperLogLog({ precision: this.#hllPrecision });
    return this.#distinct;
  }

  #truncate(s: string): string {
    if (s.length <= this.#maxItemLength) return s;
    let cut = this.#maxItemLength;
    const last = s.charCodeAt(cut - 1);
    if (last >= 0xd800 && last <= 0xdbff) cut--; // never split a surrogate pair
    return `${s.slice(0, cut)}…`;
  }
}

function json(x: number): SummaryNumber {
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  return x;
}
