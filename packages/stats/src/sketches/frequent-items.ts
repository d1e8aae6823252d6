import { ByteReader, ByteWriter, SketchTag } from './bytes.js';

// Misra–Gries frequent items with the merge of Agarwal et al., "Mergeable Summaries" (PODS 2012,
// section 3): add counters, then subtract the (k+1)-th largest counter from all and drop those that
// reach zero. Each subtraction of d removes at least (k+1)·d of counted weight, so the total
// subtracted, Δ, never exceeds (n - Σ counters) / (k+1), whatever was merged in whatever order.
// Purging only when the map passes 2k entries amortizes the selection to O(log k) per update.

export type SketchItem = string | number | boolean;

export interface FrequentItemEstimate {
  item: SketchItem;
  /** The counter: a lower bound of the true frequency (0 for an untracked item). */
  estimate: number;
  lowerBound: number;
  /** lowerBound + maximumError. */
  upperBound: number;
}

export interface FrequentItemsOptions {
  /** k: counters kept after a purge (the map holds at most 2k). Error ≤ n / (k + 1). 1..65535. */
  capacity?: number;
}

export const DEFAULT_FREQUENT_ITEMS_CAPACITY = 128;
const MAX_CAPACITY = 65535;
const T_FALSE = 0;
const T_TRUE = 1;
const T_NUMBER = 2;
const T_STRING = 3;
// In unicode mode a character class of surrogates matches only unpaired ones.
const LONE_SURROGATE = /[\ud800-\udfff]/gu;

/**
 * Heavy hitters over strings, numbers and booleans with a bounded map.
 *
 * Guarantee: for every item, estimate ≤ true frequency ≤ estimate + maximumError, with
 * maximumError ≤ (count - Σ counters) / (capacity + 1) ≤ count / (capacity + 1); so every item with
 * frequency above count / (capacity + 1) is tracked. While fewer than 2·capacity distinct items have
 * been seen, counts are exact (maximumError 0).
 *
 * Deterministic for a given input order; merge is commutative exactly (same bytes either way) and
 * associative within the bound. Ties in `top` are broken by kind (false, true, numbers, strings) then
 * value, the order of the serialized form. -0 is 0; NaN is rejected; strings with unpaired
 * surrogates are stored with U+FFFD in their place so that they survive serialization.
 */
export class FrequentItems {
  #capacity: number;
  #counts = new Map<SketchItem, number>();
  #n = 0;
  #offset = 0;

  constructor(options: FrequentItemsOptions = {}) {
    const k = options.capacity ?? DEFAULT_FREQUENT_ITEMS_CAPACITY;
    if (!Number.isInteger(k) || k < 1 || k > MAX_CAPACITY) {
      throw new RangeError(`FrequentItems: capacity must be an integer in [1, ${MAX_CAPACITY}], got ${k}`);
    }
    this.#capacity = k;
  }

  get capacity(): number {
    return this.#capacity;
  }
  /** Total weight seen (exact). */
  get count(): number {
    return this.#n;
  }
  /** Δ: how far any estimate can fall below the true frequency. */
  get maximumError(): number {
    return this.#offset;
  }
  /** Number of tracked items. */
  get size(): number {
    return this.#counts.size;
  }

  update(item: SketchItem, weight = 1): this {
    const key = normalize(item);
    if (!Number.isSafeInteger(weight) || weight < 1) {
      throw new RangeError(`FrequentItems: weight must be a positive integer, got ${weight}`);
    }
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + weight);
    this.#n += weight;
    if (this.#counts.size > 2 * this.#capacity) this.#purge();
    return this;
  }

  /** Adds `other` into this sketch (in place) and returns this. */
  merge(other: FrequentItems): this {
    if (!(other instanceof FrequentItems))
      throw new TypeError('FrequentItems: can only merge a FrequentItems');
    const entries = [...other.#counts];
    this.#capacity = Math.min(this.#capacity, other.#capacity);
    for (const [item, c] of entries) this.#counts.set(item, (this.#counts.get(item) ?? 0) + c);
    this.#n += other.#n;
    this.#offset += other.#offset;
    if (this.#counts.size > 2 * this.#capacity) this.#purge();
    return this;
  }

  estimate(item: SketchItem): FrequentItemEstimate {
    const key = normalize(item);
    const c = this.#counts.get(key) ?? 0;
    return { item: key, estimate: c, lowerBound: c, upperBound: c + this.#offset };
  }

  /**
   * The `k` tracked items with the largest counters (all tracked items by default), largest first.
   * An item missing from the list has frequency ≤ maximumError.
   */
  top(k = this.#counts.size): FrequentItemEstimate[] {
    if (!Number.isInteger(k) || k < 0)
      throw new RangeError(`FrequentItems.top: k must be a non-negative integer`);
    return this.#sorted()
      .slice(0, k)
      .map(([item, c]) => ({ item, estimate: c, lowerBound: c, upperBound: c + this.#offset }));
  }

  /**
   * Layout: version u8, tag u8, capacity varint, count varint, maximumError varint, entries varint,
   * then per entry in `top` order: kind u8 (0 false, 1 true, 2 number, 3 string), an f64 for numbers
   * or a length-prefixed UTF-8 string, and the counter as a varint.
   */
  serialize(): Uint8Array {
    const w = new ByteWriter(64 + this.#counts.size * 16);
    w.header(SketchTag.frequentItems).varint(this.#capacity).varint(this.#n).varint(this.#offset);
    const entries = this.#sorted();
    w.varint(entries.length);
    for (const [item, c] of entries) {
      if (typeof item === 'boolean') w.u8(item ? T_TRUE : T_FALSE);
      else if (typeof item === 'number') w.u8(T_NUMBER).f64(item);
      else w.u8(T_STRING).string(item);
      w.varint(c);
    }
    return w.finish();
  }

  static deserialize(bytes: Uint8Array): FrequentItems {
    const r = new ByteReader(bytes, 'FrequentItems');
    r.header(SketchTag.frequentItems);
    const capacity = r.varint();
    if (capacity < 1 || capacity > MAX_CAPACITY) r.fail(`capacity ${capacity} out of range`);
    const sketch = new FrequentItems({ capacity });
    const n = r.varint();
    const offset = r.varint();
    const size = r.varint();
    if (size > 2 * capacity) r.fail(`${size} entries exceed twice the capacity ${capacity}`);
    let total = 0;
    let prev: [SketchItem, number] | null = null;
    for (let i = 0; i < size; i++) {
      const kind = r.u8();
      let item: SketchItem;
      if (kind === T_FALSE || kind === T_TRUE) item = kind === T_TRUE;
      else if (kind === T_NUMBER) item = r.f64();
      else if (kind === T_STRING) item = r.string();
      else return r.fail(`unknown item kind ${kind}`);
      const c = r.varint();
      if (c < 1) r.fail('zero counter');
      if (typeof item === 'number' && (Number.isNaN(item) || Object.is(item, -0))) r.fail('NaN or -0 item');
      if (typeof item === 'string' && normalize(item) !== item) r.fail('unpaired surrogate in item');
      const entry: [SketchItem, number] = [item, c];
      if (prev && compareEntries(prev, entry) >= 0) r.fail('entries out of canonical order or repeated');
      sketch.#counts.set(item, c);
      total += c;
      prev = entry;
    }
    r.end();
    if (total + (capacity + 1) * offset > n) r.fail('counters and error bound exceed the count');
    sketch.#n = n;
    sketch.#offset = offset;
    return sketch;
  }

  #sorted(): [SketchItem, number][] {
    return [...this.#counts].sort(compareEntries);
  }

  #purge(): void {
    const counts = Float64Array.from(this.#counts.values()).sort();
    // (k+1)-th largest counter.
    const d = counts[counts.length - 1 - this.#capacity]!;
    for (const [item, c] of this.#counts) {
      if (c <= d) this.#counts.delete(item);
      else this.#counts.set(item, c - d);
    }
    this.#offset += d;
  }
}

function normalize(item: SketchItem): SketchItem {
  if (typeof item === 'number') {
    if (Number.isNaN(item)) throw new RangeError('FrequentItems: NaN is not an item');
    return item === 0 ? 0 : item;
  }
  if (typeof item === 'string') {
    LONE_SURROGATE.lastIndex = 0;
    return LONE_SURROGATE.test(item) ? item.replace(LONE_SURROGATE, '\ufffd') : item;
  }
  if (typeof item === 'boolean') return item;
  throw new TypeError(`FrequentItems: items are strings, numbers or booleans, got ${typeof item}`);
}

function kindOf(item: SketchItem): number {
  if (typeof item === 'boolean') return item ? T_TRUE : T_FALSE;
  return typeof item === 'number' ? T_NUMBER : T_STRING;
}

// Counter descending, then kind, then value ascending: a total order, so output never depends on
// insertion order.
function compareEntries(a: [SketchItem, number], b: [SketchItem, number]): number {
  if (a[1] !== b[1]) return b[1] - a[1];
  const ka = kindOf(a[0]);
  const kb = kindOf(b[0]);
  if (ka !== kb) return ka - kb;
  if (a[0] === b[0]) return 0;
  return a[0] < b[0] ? -1 : 1;
}
